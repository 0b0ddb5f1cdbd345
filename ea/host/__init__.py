"""ea/host: compile and run the real MQL4 source of the EA on Linux against a simulated broker."""
