"""Performance bench of the three services on a private Kafka + store (mongo-java-server, H2 file): `python -m bench --scale small|full`."""
