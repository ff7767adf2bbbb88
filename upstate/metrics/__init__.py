"""Prometheus metrics (`/metrics`): what the processes count as they work (requests by
surface, monitor checks, match requests) and what the database says at scrape time
(deliveries, the age of public documents, workers' heartbeats).

Processes: granian forks its web workers from one parent, and a scrape reaches whichever
worker accepts it, so counters kept per process would jump between workers' figures. When
`UPSTATE_METRICS_TOKEN` is set, settings therefore turn on prometheus_client's multiprocess
mode before anything imports it: every process of the host (web workers, and the worker
under `upstate serve`, which shares the data directory) writes its counters to memory-mapped
files in UPSTATE_METRICS_DIR, and a scrape of any web process sums them. Several hosts each
report their own processes; the database's figures are the same on every host.
"""
