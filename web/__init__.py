"""The staff console: a server-rendered web app over the same Python API as the CLI.

Accounts, roles (:mod:`.permissions`), sessions, CSRF and an audit trail live here; pages in
:mod:`.pages` are thin routes over the engine, finance and service modules.
"""
