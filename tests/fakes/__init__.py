"""Stand-ins for outside services that tests run against on 127.0.0.1."""
