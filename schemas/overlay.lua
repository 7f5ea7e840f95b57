-- Corrections for known defects of the OCI-P schema release, read by gen/gen.lua.
-- Pure data: no code, no globals.
return {
  -- Complex types that extend core:OCIRequest in the XSDs but are data types used
  -- inside other commands, never sent as commands: role DATA, no response, not listed
  -- among the requests.
  data_types = {
    "CallCenterAgentAvailability",
    "CallCenterAgentSettings",
  },
  -- Snake-name overrides, "Type.xmlName" = "snake_name", for collisions (none needed).
  snake = {},
}
