"""Runtime of the generated SDK.

These modules are written by hand, type-checked here, and copied verbatim into the generated package
as `<package>._runtime`, so an integrator's wheel needs nothing from this repository. They import each
other relatively for that reason.
"""
