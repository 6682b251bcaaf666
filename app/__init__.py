"""OLF's Faust app: composed by factory.py from settings.py, started by main.py.

Its parts: web/ (what clients reach), queries/ (answers from every worker),
workarounds/ (where OLF replaces faust-streaming 0.15's behaviour).
"""
