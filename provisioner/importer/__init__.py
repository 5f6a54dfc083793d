"""`provision import`: turn live objects into a project that plans clean and adopts them.

`import_project(ImportOptions(...))` reads Insights Hub and/or iTwin IoT with the provider
clients, selects objects (`select`), converts them with the providers' own normalization
(`hub`, `itwin`), and writes a readable project (`writer`). What the configuration language
cannot express is returned as `Finding`s, never dropped silently.
"""

from provisioner.importer.model import Entry, Finding
from provisioner.importer.run import ImportOptions, ImportResult, import_project
from provisioner.importer.select import Selection, Selector, parse_selectors

__all__ = ["Entry", "Finding", "ImportOptions", "ImportResult", "Selection", "Selector", "import_project",
           "parse_selectors"]
