"""The household mode: devices of one home sharing PostgreSQL and Redis. Imported only when
``[household]`` is set."""
