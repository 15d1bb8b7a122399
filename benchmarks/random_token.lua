-- wrk script: every request carries a token picked at random from $TOKENS_FILE (one a line),
-- so the in-app API reads the notices of many different users.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  tokens[#tokens + 1] = line
end

request = function()
  local token = tokens[math.random(#tokens)]
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token })
end
