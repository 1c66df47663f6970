"""Renewals' tables and the SQL that reads and writes them."""
