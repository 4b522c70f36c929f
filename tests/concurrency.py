"""Run jobs at the same moment, each in its own thread with its own database connection."""

import threading

from django.db import connections


def run_together(jobs, *, timeout: float = 120) -> tuple[list, list[BaseException]]:
    """Start every job in its own thread, release them together with a barrier, and wait.

    Returns the jobs' results and the exceptions they raised (collected, for the test to
    assert on). Each thread closes its database connections when it ends.
    """
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []
    lock = threading.Lock()

    def worker(job):
        try:
            barrier.wait(timeout=30)
            result = job()
            with lock:
                results.append(result)
        except BaseException as error:  # collected and asserted on by the caller
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    return results, errors
