"""SSM Parameter Store in one room: client, read, write, switch and prefix, health, local SSM, policy."""
