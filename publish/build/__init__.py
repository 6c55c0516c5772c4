"""Building: a build's jobs (read every input, then render and write each output), batches on a process pool
or a Dask cluster, the per-article cache, worker processes, reproducible output and the resources an
article names."""
