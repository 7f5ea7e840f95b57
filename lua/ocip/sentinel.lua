-- ocip.NIL: put it in a field to send xsi:nil="true"; an absent key sends nothing.
local NIL = setmetatable({}, {
  __name = "ocip.NIL",
  __tostring = function() return "ocip.NIL" end,
  __newindex = function() error("ocip.NIL is read-only", 2) end,
})
return { NIL = NIL }
