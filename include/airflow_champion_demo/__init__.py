"""The demo and the data generators: outside the runtime library, behind `make demo` and `mlops generate`."""
