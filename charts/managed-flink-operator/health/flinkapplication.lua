-- Argo CD health check for managedflink.dev/FlinkApplication.
-- Install: argocd-cm key resource.customizations.health.managedflink.dev_FlinkApplication (docs/install.md).
-- Argo CD runs this with gopher-lua (Lua 5.1), `obj` being the live object; it must return {status, message}.
--
-- Order matters:
--  1. no status, or observedGeneration behind metadata.generation: the controller has not acted on this
--     spec yet, so nothing below describes it -> Progressing (a just-created object lands here).
--  2. Stalled=True: the controller cannot progress until the spec changes, or the job is unhealthy
--     (Restarting, CheckpointsFailing, FallingBehind: status.job) -> Degraded with the evidence.
--  3. Reconciling=True (creating, starting, updating, stabilizing, retrying, or no job metrics yet:
--     NoData) -> Progressing.
--  4. Ready=True: RUNNING (desired Running) -> Healthy; READY with desiredState Stopped -> Suspended.
--  5. Anything else is not what the controller reports when settled -> Degraded with Ready's message.
local hs = {}

local function condition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function messageOf(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local status = obj.status
local generation = obj.metadata and obj.metadata.generation
local spec = obj.spec or {}

if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to report status"
  return hs
end

if status.observedGeneration == nil or (generation ~= nil and status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe generation " .. tostring(generation)
  return hs
end

local ready = condition(status.conditions, "Ready")
local reconciling = condition(status.conditions, "Reconciling")
local stalled = condition(status.conditions, "Stalled")
local appStatus = status.applicationStatus

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = messageOf(stalled, "Stalled: " .. tostring(stalled.reason))
  return hs
end

if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = messageOf(reconciling, "Reconciling: " .. tostring(reconciling.reason))
  return hs
end

if ready ~= nil and ready.status == "True" then
  if appStatus == "RUNNING" and spec.desiredState ~= "Stopped" then
    hs.status = "Healthy"
    hs.message = messageOf(ready, "Running")
    return hs
  end
  if spec.desiredState == "Stopped" and appStatus == "READY" then
    hs.status = "Suspended"
    hs.message = messageOf(ready, "Stopped as desired")
    return hs
  end
  -- Ready without a settled status the controller reports: it will look again.
  hs.status = "Progressing"
  hs.message = "Application status is " .. tostring(appStatus)
  return hs
end

hs.status = "Degraded"
hs.message = messageOf(ready, "Not ready")
return hs
