"""I/O-free logic shared by the runtimes: no sockets, threads or clocks in here."""
