-- The WSDL the SOAP endpoint answers `GET …/ProvisioningService?wsdl` with, as a
-- BroadWorks server does, so that SOAP client libraries (zeep, .NET, PHP
-- SoapClient) can start from it: rpc/encoded, namespace urn:com:broadsoft:webservice,
-- one operation processOCIMessage taking the OCI document as a string (arg0) and
-- answering it as a string (processOCIMessageReturn). Written from those facts.
local M = {}

M.NAMESPACE = "urn:com:broadsoft:webservice"

local ENC = "http://schemas.xmlsoap.org/soap/encoding/"

local TEMPLATE = [[
<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions targetNamespace="urn:com:broadsoft:webservice"
    xmlns:impl="urn:com:broadsoft:webservice"
    xmlns:intf="urn:com:broadsoft:webservice"
    xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:wsdlsoap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <wsdl:message name="processOCIMessageRequest">
    <wsdl:part name="arg0" type="xsd:string"/>
  </wsdl:message>
  <wsdl:message name="processOCIMessageResponse">
    <wsdl:part name="processOCIMessageReturn" type="xsd:string"/>
  </wsdl:message>
  <wsdl:portType name="BWProvisioningService">
    <wsdl:operation name="processOCIMessage" parameterOrder="arg0">
      <wsdl:input message="impl:processOCIMessageRequest" name="processOCIMessageRequest"/>
      <wsdl:output message="impl:processOCIMessageResponse" name="processOCIMessageResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="ProvisioningServiceSoapBinding" type="impl:BWProvisioningService">
    <wsdlsoap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="processOCIMessage">
      <wsdlsoap:operation soapAction=""/>
      <wsdl:input name="processOCIMessageRequest">
        <wsdlsoap:body encodingStyle="@ENC@" namespace="urn:com:broadsoft:webservice" use="encoded"/>
      </wsdl:input>
      <wsdl:output name="processOCIMessageResponse">
        <wsdlsoap:body encodingStyle="@ENC@" namespace="urn:com:broadsoft:webservice" use="encoded"/>
      </wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="BWProvisioningServiceService">
    <wsdl:port binding="impl:ProvisioningServiceSoapBinding" name="ProvisioningService">
      <wsdlsoap:address location="@LOCATION@"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
]]

--- wsdl.is_request(method, path) -> true for GET <path>?wsdl (any case, any other
--- query parameters beside it)
function M.is_request(method, path)
  if method ~= "GET" then return false end
  local query = path:match("%?(.*)$")
  if not query then return false end
  for item in query:gmatch("[^&]+") do
    if item:match("^([^=]*)"):lower() == "wsdl" then return true end
  end
  return false
end

--- wsdl.location(host_header, default_host, port, path) -> the service address:
--- from the request's Host header when it is a plain host[:port], else from the
--- listener's address.
function M.location(host_header, default_host, port, path)
  local host = host_header
  if not host or not host:find("^[%w%.%-%[%]:]+$") or #host > 255 then
    host = default_host .. ":" .. port
  end
  return "http://" .. host .. path
end

--- wsdl.document(location) -> the WSDL text
function M.document(location)
  local loc = location:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;" })
  return (TEMPLATE:gsub("@ENC@", ENC):gsub("@LOCATION@", function() return loc end))
end

return M
