"""A LocalCluster for the Dask tests: 2 worker processes x 1 thread, bound to localhost, no dashboard."""

import contextlib
import os
import warnings

import cloudpickle
import distributed


@contextlib.contextmanager
def local_cluster(*by_value, workers: int = 2):
    """A Client of a fresh LocalCluster; the modules in `by_value` are pickled by value for its workers (they
    cannot import the tests' modules). The environment is restored afterwards: distributed's nanny puts its
    workers' settings (MALLOC_TRIM_THRESHOLD_) into this process's os.environ and leaves them, and every later
    subprocess would inherit them (tests/test_image.py's malloc probe, whose glibc then has its dynamic
    thresholds off, failed after these tests in the full suite)."""
    environ = dict(os.environ)
    for module in by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # distributed's own warnings about ports and memory
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                scheduler_kwargs={"dashboard": False},  # dashboard_address=None alone still serves one
            )
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    finally:
        for module in by_value:
            cloudpickle.unregister_pickle_by_value(module)
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        os.environ.update(environ)
