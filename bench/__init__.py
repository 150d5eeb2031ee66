"""pressbot's benchmark: speed, memory and the cost of a scheduled run, beside plain Scrapy.

    python -m bench [--sizes 200,2000] [--repeats 3] [--json bench/results/latest.json]
    python -m bench --quick          # N = 20, 50 listing pages, one run each (a smoke run)
    python -m bench --no-distributed # without the distributed section (no redis-server)

What it does, all on 127.0.0.1 (see README.md, "Benchmark"):

* serves pressbot.synthetic.SyntheticSite (20 releases a listing page, ~46 KB a page) from
  bench/server.py in a process of its own, and checks the server is far faster than the crawls;
* at each N: a full ``scrapy crawl releases`` (pressbot) and a full crawl by a plain Scrapy
  spider with the same selectors writing JSON Lines with ``-O`` (bench/baseline.py), each a real
  process of its own, timed from spawn to exit, with the peak RSS of that process (wait4);
* right after pressbot's full crawl, an incremental run over the unchanged site, and Scrapy's
  own cost to start and fetch one page (the baseline stopped after one page) to compare with;
* 20 new releases published, then another incremental run: pages fetched, releases written;
* pressbot's listing parser alone over one page in a loop, beside ``lxml.html.fromstring`` on
  the same bytes (the floor) and the baseline's parsel extraction;
* distributed (bench/distributed.py): 1, 2 and 4 concurrent workers on a redis-server of its
  own, over the site with every release followed to its page: wall time, pages/s, items/s,
  each worker's share and peak RSS, every release exactly once in the union, and what Redis
  holds per release;
* the median, min and max of ``repeats`` runs of each, printed and written as JSON.

Modules:

* settings.py: the paths, the page size and the Scrapy settings every crawl shares;
* server_client.py: bench/server.py in its own process, its control endpoints, its speed check;
* processes.py: a crawl as a process of its own, and its figures (wall, peak RSS, CPU, log);
* stats.py: median, min and max of a measurement's runs;
* crawl.py: full and incremental crawls by pressbot and the baseline at one N;
* parser.py: the listing parser alone, beside parsel and the lxml floor;
* distributed.py: the distributed section (workers on one Redis);
* targets.py: the targets, checked against the figures;
* machine.py: what the figures were measured on;
* run.py: the whole benchmark in order, every figure in one dict;
* table.py: the printed table;
* server.py, baseline.py, profile.py: the site server, the plain Scrapy spider, cProfile of one
  crawl (``python -m bench.profile``).
"""
