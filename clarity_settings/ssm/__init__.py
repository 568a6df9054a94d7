"""SSM Parameter Store, one room: client, reading, writing, the on/off switch and prefix, and health."""
