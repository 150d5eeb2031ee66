"""Item pipelines, one job each: normalise, validate, deduplicate, write.

Each takes its collaborators (profiles, the ledger, the stats) in ``__init__``; ``from_crawler``
finds them in the crawl's run (pressbot.run), and stands aside (NotConfigured) in a crawl that
is not one of pressbot's runs, such as ``scrapy shell``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, MutableMapping

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from pressbot.fields import REQUIRED_FIELDS
from pressbot.items import Release, run_key, same_content
from pressbot.ledger import Ledger, LedgerFailed
from pressbot.normalise import normalise
from pressbot.profiles import Profile
from pressbot.run import Run
from pressbot.state import Seen

logger = logging.getLogger(__name__)


def fields(item) -> MutableMapping:
    """An item's fields as a mutable mapping. Our own Release is a plain dataclass whose
    ``__dict__`` is exactly its fields: using it directly spares an ItemAdapter lookup per field
    (about half the pipelines' cost); any other item type goes through ItemAdapter."""
    if type(item) is Release:
        return item.__dict__
    return ItemAdapter(item)


class _Base:
    def __init__(self, stats) -> None:
        self.stats = stats
        self.counts: Counter[tuple[str | None, str]] = Counter()

    @staticmethod
    def _run(crawler) -> Run:
        run = Run.of(crawler)
        if run is None:
            raise NotConfigured  # not a pressbot run (no message: Scrapy warns of every one)
        return run

    @classmethod
    def from_crawler(cls, crawler):
        return cls._run(crawler).tallied(cls(crawler.stats))

    def count(self, item: MutableMapping, key: str) -> None:
        # Tallied here, added to the crawl stats every second (the run's push_counts) and when
        # the spider closes: Scrapy 2.19's stats collector costs 1.5 µs an increment, a fifth
        # of what a release costs to normalise.
        self.counts[item.get("source"), key] += 1

    def push_counts(self) -> None:
        """Add the counts tallied since the last push to the stats."""
        inc = self.stats.inc_value
        for (source, key), n in self.counts.items():
            inc(f"pressbot/{key}", n)
            inc(f"pressbot/source/{source}/{key}", n)
        self.counts.clear()

    def close_spider(self) -> None:
        self.push_counts()


class NormalisePipeline(_Base):
    """Clean text, canonical URL and stable id, ISO date (or null with the reason), crawl time."""

    def __init__(self, stats, profiles: dict[str, Profile]) -> None:
        super().__init__(stats)
        self.profiles = profiles
        self._second, self._stamp = -1, ""  # crawled_at of the current second, made once

    def _now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._stamp

    @classmethod
    def from_crawler(cls, crawler):
        run = cls._run(crawler)
        return run.tallied(cls(crawler.stats, run.profiles))

    def process_item(self, item):
        a = fields(item)
        profile = self.profiles[a["source"]]
        a.update(normalise(a, profile))  # (a copy: updating a from itself is safe)
        if a.get("date_problem"):
            # Never guess: keep the raw text, leave the date null, and say so.
            self.count(a, "date_problems")
            logger.warning(
                "%s: %s on %s (entry %s)", a["source"], a["date_problem"], a.get("listing_url"), a.get("url")
            )
        a["crawled_at"] = self._now()
        return item


class ValidatePipeline(_Base):
    """Drop, with a logged reason and a stat, any entry missing a required field."""

    def __init__(self, stats, required: Mapping[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(stats)
        #: source -> the fields its records must have (Profile.required_fields); a source not
        #: in it must have every required field of the table.
        self.required = required if required is not None else {}

    @classmethod
    def from_crawler(cls, crawler):
        run = cls._run(crawler)
        # Read as items come: a source with no profile gets its profile from its first page.
        return run.tallied(cls(crawler.stats, _RequiredFields(run.profiles)))

    def process_item(self, item):
        a = fields(item)
        missing = [f for f in self.required.get(a.get("source"), REQUIRED_FIELDS) if not a.get(f)]
        if missing:
            for f in missing:
                self.count(a, f"dropped/missing_{f}")
            self.count(a, "dropped")
            raise DropItem(
                f"{a.get('source')}: entry on {a.get('listing_url')} dropped: missing "
                f"{', '.join(missing)} (title={a.get('title')!r}, url={a.get('url')!r})"
            )
        return item


class _RequiredFields(Mapping[str, tuple[str, ...]]):
    """source -> Profile.required_fields, read from the run's profiles when asked."""

    def __init__(self, profiles: Mapping[str, Profile]) -> None:
        self.profiles = profiles

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self.profiles[name].required_fields

    def __iter__(self):
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)


class DeduplicatePipeline(_Base):
    """Drop releases already written (this run or an earlier one); number changed ones.

    A release seen twice in one run (a "Featured" box and its own entry, with other text) is
    one observation, the first: a revision is a change between runs, never within one.
    """

    def __init__(self, stats, ledger: Ledger, this_run: dict[int | str, bool] | None = None) -> None:
        super().__init__(stats)
        self.ledger = ledger
        #: The releases seen this run, by run_key (True: one sighting taken already): it grows
        #: with the archive. The run's own (Run.seen), which also takes the known, unchanged
        #: releases the walk passed over.
        self.this_run: dict[int | str, bool] = {} if this_run is None else this_run

    @classmethod
    def from_crawler(cls, crawler):
        run = cls._run(crawler)
        dedup = cls(crawler.stats, run.ledger, run.seen)
        run.ledger.on_unclaimed = dedup.unclaimed
        return run.tallied(dedup)

    def unclaimed(self, lost: list[Seen]) -> None:
        """Distributed: releases this worker took as new or revised, that another worker
        claimed first when the batch was written (pressbot.ledger): its duplicates after all."""
        for seen in lost:
            self.counts[seen.source, "new" if seen.revision == 1 else "revised"] -= 1
            self.counts[seen.source, "duplicates"] += 1
            logger.debug("%s: %s is being written by another worker", seen.source, seen.id)

    def process_item(self, item):
        a = fields(item)
        key = run_key(a["id"])
        if self.this_run.get(key):
            self.count(a, "duplicates")
            raise DropItem(f"{a['source']}: {a['url']} seen already in this run", log_level="DEBUG")
        self.this_run[key] = True
        try:
            known = self.ledger.known([a["id"]]).get(a["id"])
        except LedgerFailed as exc:  # said once, where it failed; the run is stopping
            raise DropItem(str(exc), log_level="DEBUG") from None
        if known is not None and same_content(known.hash, a):
            self.count(a, "duplicates")
            raise DropItem(f"{a['source']}: duplicate {a['url']}", log_level="DEBUG")
        # (Distributed: another worker may be writing this very release right now; the ledger
        # claims it before it writes it, and tells ``unclaimed`` if it lost.)
        if known is None:
            a["revision"] = 1
            self.count(a, "new")
            return item
        a["revision"] = known.revision + 1
        self.count(a, "revised")
        logger.info("%s: %s changed: revision %d", a["source"], a["url"], a["revision"])
        return item


class WritePipeline(_Base):
    """Append each release to the JSON Lines output, then record it as seen (the ledger)."""

    def __init__(self, stats, ledger: Ledger) -> None:
        super().__init__(stats)
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler):
        run = cls._run(crawler)
        return run.tallied(cls(crawler.stats, run.ledger))

    def process_item(self, item):
        # A shallow dict: every field is a plain value (asdict() would walk each one).
        try:
            self.ledger.write(dict(fields(item)))
        except LedgerFailed as exc:  # said once, where it failed; the run is stopping
            raise DropItem(str(exc), log_level="DEBUG") from None
        return item

    def push_counts(self) -> None:
        """What the ledger made durable, in all and per source."""
        super().push_counts()
        self.stats.set_value("pressbot/written", self.ledger.written)
        for source, n in self.ledger.written_by_source.items():
            self.stats.set_value(f"pressbot/source/{source}/written", n)

    def close_spider(self) -> None:
        # Flush only: the ledger closes, and records finished walks, once the crawl's finish
        # reason is known (spider_closed).
        try:
            self.ledger.flush()
        except LedgerFailed:
            pass  # said once, where it failed
        except Exception:
            # The last batch did not reach the disk (or the state): an internal error for the
            # exit status, and the walk stays open, so the next run collects those releases.
            self.stats.inc_value("pressbot/internal_errors")
            logger.exception(
                "pressbot could not write its last releases to %s; the next run collects them again",
                self.ledger.output,
            )
        self.push_counts()
        # (What was written is said in the log's last lines, pressbot.summary.say_outcome.)
