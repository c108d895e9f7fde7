"""The benchmark report's reading of the worker's memory (benchmarks/run.py)."""

from benchmarks.run import memory_growth


def run_of(levels):
    return {"db": "postgres", "requests": 2016, "journeys": 72, "samples": list(levels)}


def test_it_reads_no_growth_from_a_flat_worker_with_short_peaks():
    # As measured: 129.3 MB, with a sample now and then taken while a PDF's buffers were held.
    samples = [(count, 132.1 if count in (700, 900, 1800) else 129.3) for count in range(0, 2001, 100)]
    samples.append((2016, 132.2))
    mid_count, mid, end_count, end, growth = memory_growth(run_of(samples))
    assert (mid_count, end_count) == (1016, 2016)
    assert (mid, end, growth) == (129.3, 129.3, 0.0)


def test_it_reads_the_growth_of_a_leaking_worker():
    samples = [(count, 100 + count / 100) for count in range(0, 2001, 100)]  # 1 MB every 100 requests
    *_, growth = memory_growth(run_of(samples))
    assert growth == 10.0
