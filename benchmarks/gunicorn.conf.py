"""gunicorn's configuration for the benchmarks: nothing (benchmarks/common.py passes its options
on the command line). Named explicitly so that gunicorn does not read the production
gunicorn.conf.py of the current folder, whose worker recycling (max_requests) would restart
workers in the middle of a measurement of their memory, and whose access log would fill the
benchmark's log."""
