"""Dynaconf loaders: each module answers "where does a value come from" for one layer."""
