#ifndef CYAML_SHIM_H
#define CYAML_SHIM_H

// libyaml, the reference YAML 1.1 parser (Debian libyaml-dev): rule files are read through its events.
#include <yaml.h>

#endif
