#!/bin/sh
# One command: build what is needed, run every benchmark, print one JSON document on stdout.
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
