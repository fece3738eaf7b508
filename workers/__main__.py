"""`python -m workers`: the background worker process."""

from workers.main import main

main()
