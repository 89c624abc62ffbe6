using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Protocol.Cilium.Observer;
using Gitlab.Agent.Testing.Hubble;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

internal static class FlowFactory
{
    /// <summary>A fixture's responses with times moved to start at <paramref name="start"/> (default: now).</summary>
    public static IReadOnlyList<GetFlowsResponse> Fixture(string name, DateTimeOffset? start = null) =>
        HubbleFixtures.Rebase(HubbleFixtures.Load(TestData.FixturePath(name)), start ?? DateTimeOffset.UtcNow);

    /// <summary>
    /// Repeats of the fixture's first flow (same alert fingerprint): each with its own time, uuid and source port.
    /// </summary>
    public static IEnumerable<GetFlowsResponse> Repeats(string name, int count, DateTimeOffset start, int firstIndex = 0)
    {
        var template = HubbleFixtures.Load(TestData.FixturePath(name))[0].Flow;
        for (var i = firstIndex; i < firstIndex + count; i++)
        {
            var flow = template.Clone();
            flow.Time = Timestamp.FromDateTimeOffset(start.AddTicks(i * 10));
            flow.Uuid = $"repeat-{i:D8}";
            flow.L4.TCP.SourcePort = (uint)(30000 + (i % 30000));
            yield return new GetFlowsResponse { Flow = flow };
        }
    }
}
