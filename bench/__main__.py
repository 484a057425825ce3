"""`python -m bench`: run the benchmarks, print a table, write JSON."""

from bench.run import main

main()
