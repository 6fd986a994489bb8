#!/usr/bin/env python3
"""Prints, once each, the functions of one object that callgrind profiles saw run.

usage: callgrind_functions.py OBJECT_SUFFIX PROFILE...

The functions of the first profile come first (sorted), then those only the second one saw, and so on:
with one profile per phase (start-up, then work), the functions of the earlier phases lead.

Callgrind compresses names: the first mention of an object (`ob=`/`cob=`) or function (`fn=`/`cfn=`)
is `(id) name`, later ones only `(id)`. A cost line belongs to the last `ob=` and `fn=` lines.
Recursion levels (`name'2`) fold into the function; functions without a symbol (`0x…`) are dropped.
"""
import re
import sys

NAME = re.compile(r"^(c?)(ob|fn)=\((\d+)\)(?: (.*))?$")


def functions(profile, object_suffix):
    names = {"ob": {}, "fn": {}}
    current_object = None
    seen = set()
    with open(profile, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            match = NAME.match(line.rstrip("\n"))
            if not match:
                continue
            called, kind, number, name = match.groups()
            if name:
                names[kind][number] = name
            if called:
                continue
            if kind == "ob":
                current_object = names["ob"].get(number)
            elif current_object and current_object.endswith(object_suffix):
                function = re.sub(r"'\d+$", "", names["fn"].get(number, ""))
                if function and not function.startswith("0x"):
                    seen.add(function)
    return sorted(seen)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    printed = set()
    for profile in sys.argv[2:]:
        for function in functions(profile, sys.argv[1]):
            if function not in printed:
                printed.add(function)
                print(function)
