-- ocip.NIL: put it in a field to send xsi:nil="true"; an absent key sends nothing.
-- The value lives in the C registry, so it stays one value even if modules reload.
return { NIL = require("ocip.core").nil_sentinel() }
