"""Scrapy settings for pressbot; every pressbot default lives here, prefixed PRESSBOT_."""

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "pressbot"
SPIDER_MODULES = ["pressbot.spiders"]
NEWSPIDER_MODULE = "pressbot.spiders"
COMMANDS_MODULE = "pressbot.commands"

# --- pressbot's own settings -------------------------------------------------------------
#: Comma-separated profile names crawled when no -a source= / -a profile= is given.
PRESSBOT_DEFAULT_SOURCE = "amnesty-ca"
#: Folders of your own profiles, beside the shipped ones (pressbot/catalogue.py): a list, or
#: paths separated by the OS path separator (":"); a source is NAME.toml in one of them.
PRESSBOT_PROFILE_DIRS = None
#: Where "{fixtures}" in a profile points; None means https://fixtures.invalid, which pressbot
#: answers in-process from the bundled fixture sites (pressbot.bundled).
PRESSBOT_FIXTURES_URL = None
#: The folder answered at https://fixtures.invalid/; None means the sites bundled with pressbot.
PRESSBOT_FIXTURES_DIR = None
#: Where `scrapy inspect --save-case NAME` writes NAME/, and what `scrapy check` checks; None
#: means the bundled fixtures/cases/.
PRESSBOT_CASES_DIR = None
# (PRESSBOT_LOOK_ONLY is set by Scrapy's commands that only look at pages: shell, fetch, view,
# parse, check, bench; see pressbot.run.LOOK_ONLY. No default here: it would outrank theirs.)
#: JSON Lines output, appended to across runs.
PRESSBOT_OUTPUT = "data/releases.jsonl"
#: State: a SQLite file path, or redis://host:port/db (shared by distributed workers).
PRESSBOT_STATE = "data/state.sqlite3"
#: Distributed mode (see pressbot/distributed.py): a scrapy-redis frontier shared by workers.
PRESSBOT_DISTRIBUTED = False
#: Redis for the shared frontier; defaults to PRESSBOT_STATE when that is a redis:// URL.
PRESSBOT_REDIS_URL = None
#: Names one distributed run: workers with the same id share its frontier (e.g. the cron hour).
PRESSBOT_RUN_ID = None
#: This worker's name; "{worker}" in PRESSBOT_OUTPUT becomes it (default: host-pid).
PRESSBOT_WORKER_ID = None
#: Where `scrapy merge` writes the workers' outputs joined.
PRESSBOT_MERGED = "data/merged/releases.jsonl"
#: `scrapy merge` holds at most about twice this many records in memory; the rest wait sorted on disk.
PRESSBOT_MERGE_BUFFER = 100000
#: A distributed worker closes after its frontier has been empty this many seconds.
PRESSBOT_IDLE_CLOSE = 5
#: An incremental run is caught up after this many known releases in a row (0: off),
#: or after a whole page of known releases, whichever comes first.
PRESSBOT_KNOWN_IN_A_ROW = 5
#: ...and then reads this many listing pages more, so that edits to recent releases (and releases
#: that pinned posts pushed down) are seen without a full walk.
PRESSBOT_OVERLAP_PAGES = 1
#: Run summaries: <dir>/<UTC timestamp>.json for every run, and <dir>/latest.json.
PRESSBOT_RUNS_DIR = "data/runs"
#: Keep this many run summaries (the newest; latest.json aside); 0 keeps them all...
PRESSBOT_RUNS_KEEP = 500
#: ...and none older than this many days (0: no age limit).
PRESSBOT_RUNS_MAX_AGE = 0
#: Names the run in its summary (`job`) where scrapyd's `_job` argument does not.
PRESSBOT_JOB_ID = None
#: Log a progress line per active source every this many seconds (0: none).
PRESSBOT_PROGRESS_SECONDS = 60
#: Retries back off exponentially from this many seconds (a Retry-After header can ask more)...
PRESSBOT_RETRY_BACKOFF = 1.0
#: ...up to this many seconds per wait.
PRESSBOT_RETRY_MAX_DELAY = 60.0
#: A URL where site owners can reach you; when set, it goes into the User-Agent.
PRESSBOT_CONTACT_URL = None
#: Records are fsync'd and committed to the state in batches: at most this many...
#: (a crash in between loses nothing and duplicates nothing, see ledger.py)
PRESSBOT_FLUSH_ITEMS = 1000
#: ...and at least every this many seconds while records come in.
PRESSBOT_FLUSH_SECONDS = 1.0
#: A Redis run lock lives this many seconds unless its holder renews it (every third of that);
#: a holder that could not renew it in time (paused, cut off) has lost it, and stops writing.
PRESSBOT_LOCK_TTL = 30.0
#: While a crawl runs, Python's cyclic garbage collector runs after this many new container
#: objects (its own default is 700: a thousand collections per thousand listing pages, with next
#: to nothing to collect, a twentieth of the crawl's CPU); 0 leaves the collector as it is.
PRESSBOT_GC_THRESHOLD = 10000
#: After SIGINT/SIGTERM, requests still in flight this many seconds later (a long Retry-After
#: wait) are abandoned and the run stops; what they held is collected by the next run.
PRESSBOT_STOP_TIMEOUT = 3.0

#: A source without [checks] max_silence is silent (exit 66) when its newest release is older
#: than this many times its usual gap between releases (learned from its history; 0: off)...
PRESSBOT_SILENCE_FACTOR = 3.0
#: ...and never before this many days (see pressbot/silence.py).
PRESSBOT_SILENCE_MIN_DAYS = 7.0

#: Alerts (pressbot/alerts.py): after a run, a change of what is wrong is sent, once, to each
#: channel configured here: a webhook (an HTTP POST of JSON)...
PRESSBOT_ALERT_WEBHOOK = None
#: ...a Slack incoming webhook...
PRESSBOT_ALERT_SLACK_WEBHOOK = None
#: ...e-mail to these addresses (comma-separated), through this SMTP server (HOST:PORT).
PRESSBOT_ALERT_EMAIL_TO = None
PRESSBOT_ALERT_EMAIL_FROM = None
PRESSBOT_ALERT_SMTP = "localhost:25"
PRESSBOT_ALERT_SMTP_USER = None
PRESSBOT_ALERT_SMTP_PASSWORD = None
PRESSBOT_ALERT_SMTP_STARTTLS = False
#: Seconds a channel is given to take an alert.
PRESSBOT_ALERT_TIMEOUT = 10.0
#: What each channel has been told (None: alerts.json in PRESSBOT_RUNS_DIR).
PRESSBOT_ALERT_STATE = None
#: Where `scrapy report` writes the operator's report (one static HTML file).
PRESSBOT_REPORT = "data/report.html"

# --- Scrapy ------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "pressbot/0.1 (+https://github.com/pressbot/pressbot)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Real press rooms get AutoThrottle; the spider turns it off when every start URL is local.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
# A listing page is tens of kilobytes: cap what we accept, compressed or not (gzip bombs).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOADER_MIDDLEWARES = {
    "pressbot.middlewares.SafeDestinationMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "pressbot.middlewares.BackoffRetryMiddleware": 550,
    # Last before the downloader (after the HTTP cache, 900): it stands in for the download.
    "pressbot.middlewares.BundledSitesMiddleware": 950,
}
# For profile development: -s HTTPCACHE_ENABLED=1 keeps every page under .scrapy/httpcache.
HTTPCACHE_EXPIRATION_SECS = 0
# Scrapy starts this many item workers (asyncio tasks) for every response, whatever it yields:
# its default, 100, costs each listing page a few hundred microseconds (a tenth of the crawl's
# CPU) for nothing, as pressbot's own pipelines never wait; 8 still lets a pipeline of one's own
# that does wait overlap its items (bench.many: ~25% of the CPU of an hourly run over many
# sources, against 100).
CONCURRENT_ITEMS = 8
ITEM_PIPELINES = {
    "pressbot.pipelines.NormalisePipeline": 100,
    "pressbot.pipelines.ValidatePipeline": 200,
    "pressbot.pipelines.DeduplicatePipeline": 300,
    "pressbot.pipelines.WritePipeline": 400,
}
# Scrapy's PeriodicLog is listed (Scrapy does not list it), so that `-s LOGSTATS_INTERVAL=10 -s
# PERIODIC_LOG_STATS='{"include": ["pressbot/"]}'` shows the live counts; unset, it stands aside.
EXTENSIONS = {
    "scrapy.extensions.periodic_log.PeriodicLog": 0,
    "pressbot.summary.RunSummary": 500,
    "pressbot.progress.LiveCounts": 500,
}
# Scrapy 2.19's remote control (switched off below) is not even imported: that spares every run
# the import of aiohttp, about 0.1 s of its start. (Listing it as None in EXTENSIONS would still
# import it: Scrapy loads every key there.) The rest of Scrapy's own list stays as it is.
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}
# Two sources of one run may read one page, each for its own walk (pressbot/fingerprint.py).
REQUEST_FINGERPRINTER_CLASS = "pressbot.fingerprint.SourceFingerprinter"
FEED_EXPORT_ENCODING = "utf-8"
# Item reprs at DEBUG would swamp a cron log; -s LOG_LEVEL=DEBUG brings them back.
LOG_LEVEL = "INFO"
# Scrapy's per-page and per-item DEBUG messages are not even made when nothing would show them.
LOG_FORMATTER = "pressbot.logs.LogFormatter"
# Scrapy 2.19's remote-control extension opens a port and writes under $HOME: a cron job
# needs neither.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
