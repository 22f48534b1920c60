"""Performance bench of the three services on a private Kafka + FerretDB: `python -m bench --scale small|full`."""
