"""`python -m bench.import`: the import benchmark under the name the issue gives it (its code
is bench/import_bench.py, which other scripts import: `import bench.import` is not Python,
`python -m bench.import` is). Same arguments:

    .venv/bin/python -m bench.import --posts 100000
"""

from bench.import_bench import main

if __name__ == "__main__":
    main()
