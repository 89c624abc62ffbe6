using System.Text.Json.Nodes;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>Outcome of a readiness check.</summary>
/// <param name="Ready">Whether the object is ready.</param>
/// <param name="Message">What is missing, when not ready.</param>
/// <param name="Failed">The object can no longer become ready (e.g. a failed Job).</param>
internal readonly record struct ReadinessState(bool Ready, string? Message, bool Failed = false)
{
    public static ReadinessState IsReady => new(true, null);
}

/// <summary>
/// Readiness rules: Deployment Available with current observedGeneration, StatefulSet/DaemonSet rolled out, Job
/// Complete, CRD Established, Namespace Active; other kinds are ready at once.
/// </summary>
internal static class ReadinessEvaluator
{
    public static ReadinessState Evaluate(GroupKind groupKind, JsonObject live)
    {
        var status = live["status"] as JsonObject;
        var metadata = live["metadata"] as JsonObject;
        if (metadata?["deletionTimestamp"] is not null)
        {
            return new ReadinessState(false, "is being deleted");
        }

        switch (groupKind.Group, groupKind.Kind)
        {
            case ("apps", "Deployment"):
                {
                    if (Stale(metadata, status) is { } stale)
                    {
                        return stale;
                    }

                    var replicas = Long(live["spec"]?["replicas"]) ?? 1;
                    var updated = Long(status?["updatedReplicas"]) ?? 0;
                    var available = Long(status?["availableReplicas"]) ?? 0;
                    if (Condition(status, "Progressing") is { } progressing && progressing.Reason == "ProgressDeadlineExceeded")
                    {
                        return new ReadinessState(false, $"progress deadline exceeded: {progressing.Message}", Failed: true);
                    }

                    if (Condition(status, "Available")?.Status != "True")
                    {
                        return new ReadinessState(false, $"not Available: {available} of {replicas} replicas available");
                    }

                    return updated < replicas || available < replicas
                        ? new ReadinessState(false, $"{updated} of {replicas} replicas updated, {available} available")
                        : ReadinessState.IsReady;
                }

            case ("apps", "StatefulSet"):
                {
                    if (Stale(metadata, status) is { } stale)
                    {
                        return stale;
                    }

                    var replicas = Long(live["spec"]?["replicas"]) ?? 1;
                    var ready = Long(status?["readyReplicas"]) ?? 0;
                    var updated = Long(status?["updatedReplicas"]) ?? 0;
                    return ready < replicas || updated < replicas
                        ? new ReadinessState(false, $"{ready} of {replicas} replicas ready, {updated} updated")
                        : ReadinessState.IsReady;
                }

            case ("apps", "DaemonSet"):
                {
                    if (Stale(metadata, status) is { } stale)
                    {
                        return stale;
                    }

                    var desired = Long(status?["desiredNumberScheduled"]) ?? 0;
                    var ready = Long(status?["numberReady"]) ?? 0;
                    var updated = Long(status?["updatedNumberScheduled"]) ?? 0;
                    return ready < desired || updated < desired
                        ? new ReadinessState(false, $"{ready} of {desired} pods ready, {updated} updated")
                        : ReadinessState.IsReady;
                }

            case ("batch", "Job"):
                if (Condition(status, "Failed")?.Status == "True")
                {
                    return new ReadinessState(false, $"Job failed: {Condition(status, "Failed")!.Value.Message}", Failed: true);
                }

                return Condition(status, "Complete")?.Status == "True"
                    ? ReadinessState.IsReady
                    : new ReadinessState(false, "Job not Complete");
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                return Condition(status, "Established")?.Status == "True"
                    ? ReadinessState.IsReady
                    : new ReadinessState(false, "CRD not Established");
            case ("", "Namespace"):
                var phase = status?["phase"]?.GetValue<string>();
                return phase is null or "Active"
                    ? ReadinessState.IsReady
                    : new ReadinessState(false, $"Namespace is {phase}");
            default:
                return ReadinessState.IsReady;
        }
    }

    private static ReadinessState? Stale(JsonObject? metadata, JsonObject? status)
    {
        var generation = Long(metadata?["generation"]) ?? 0;
        var observed = Long(status?["observedGeneration"]) ?? -1;
        return observed < generation
            ? new ReadinessState(false, $"observedGeneration {Math.Max(observed, 0)} is behind generation {generation}")
            : null;
    }

    private static long? Long(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (value.TryGetValue<double>(out var d))
        {
            return (long)d;
        }

        return value.TryGetValue<decimal>(out var m) ? (long)m : null;
    }

    private static (string Status, string? Reason, string? Message)? Condition(JsonObject? status, string type)
    {
        if (status?["conditions"] is not JsonArray conditions)
        {
            return null;
        }

        foreach (var condition in conditions)
        {
            if (condition?["type"]?.GetValue<string>() == type)
            {
                return (condition["status"]?.GetValue<string>() ?? "", condition["reason"]?.GetValue<string>(), condition["message"]?.GetValue<string>());
            }
        }

        return null;
    }
}
