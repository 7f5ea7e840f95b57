/* One line per bindings file that registers functions in ocip.core (X-macro, see core.h). */
OCIP_OPENER(errors)
