"""What the service says about itself: in-process metrics and histograms (``metrics``,
``histogram``), the Prometheus export incl. multi-process mode (``prometheus``,
``multiprocess``), JSON logs (``logging``), optional OpenTelemetry (``tracing``), pool usage
probes (``pool_usage``), statement timing (``query_timing``) and the wiring of all of it
(``setup``)."""
