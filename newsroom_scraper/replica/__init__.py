"""The replica: a synthetic newsroom in the real markup, served on loopback for tests and demos."""
