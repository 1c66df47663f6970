"""Pulse health service: Keeps an explained, multi-dimensional health score per account,
current within seconds.

By role, each layer importing only those below it: `scoring` (the pure domain),
`storage` (tables and queries), `keeping` (the consumer side) and `api` (HTTP), which
never import each other; `messages` and `metrics` are shared by both. The top-level
modules compose them: `app`, `background`, `startup_model`, `config`, `__main__`.
"""
