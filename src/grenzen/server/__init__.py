"""The decision service over HTTP and the mentors' web page (`grenzen serve`, the optional extra `grenzen[server]`)."""
