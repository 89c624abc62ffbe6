using Gitlab.Agent.Config.Yaml;
using Gitlab.Agent.Protocol.AgentCfg;
using Gitlab.Agent.Protocol.AgentTracker;
using Gitlab.Agent.Protocol.Entity;
using Gitlab.Agent.Protocol.Prototool;
using Google.Protobuf;

namespace Gitlab.Agent.Config.Tests;

/// <summary>The generic reader on messages outside the two configuration files (int64, maps, bytes, camelCase names).</summary>
public class ProtoYamlReaderTests
{
    private static (T Message, string Errors) Read<T>(string yaml) where T : IMessage, new()
    {
        var message = new T();
        var errors = new ErrorCollector("t.yaml");
        ProtoYamlReader.Read(yaml, message, errors);
        return (message, string.Join("\n", errors.Errors));
    }

    [Fact]
    public void Int64_accepts_numbers_and_quoted_numbers()
    {
        var (m, errors) = Read<AgentConfiguration>("agent_id: 9007199254740993\nproject_id: \"-42\"\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(9007199254740993L, m.AgentId);
        Assert.Equal(-42L, m.ProjectId);
    }

    [Fact]
    public void Int64_range_and_quoted_garbage()
    {
        var (_, errors) = Read<AgentConfiguration>("agent_id: 9223372036854775808\nproject_id: \"12a\"\n");
        Assert.Equal(
            "t.yaml:1:11: agentId: 9223372036854775808 is out of range for int64 (-9223372036854775808 to 9223372036854775807)\n" +
            "t.yaml:2:13: projectId: expected an integer, got string \"12a\"",
            errors);
    }

    [Fact]
    public void Integer_forms_of_the_core_schema()
    {
        var (m, errors) = Read<AgentConfiguration>("agent_id: 0x1F\nproject_id: 1e3\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(31, m.AgentId);
        Assert.Equal(1000, m.ProjectId);

        (m, errors) = Read<AgentConfiguration>("agent_id: 0o17\nproject_id: -2.50e1\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(15, m.AgentId);
        Assert.Equal(-25, m.ProjectId);

        (_, errors) = Read<AgentConfiguration>("agent_id: -2.55e1\n");
        Assert.Equal("t.yaml:1:11: agentId: expected an integer, got float -2.55e1", errors);
    }

    [Fact]
    public void Json_names_and_proto_names_are_both_accepted_but_not_twice()
    {
        var (m, errors) = Read<AgentConfiguration>("agentId: 1\nproject_path: a/b\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(1, m.AgentId);
        Assert.Equal("a/b", m.ProjectPath);

        (_, errors) = Read<AgentConfiguration>("agentId: 1\nagent_id: 2\n");
        Assert.Equal("t.yaml:2:1: agentId: duplicate key \"agent_id\" (first set at line 1, column 1)", errors);
    }

    [Fact]
    public void Maps_of_messages()
    {
        var (m, errors) = Read<HttpRequest>("method: GET\nurl_path: /x\nheader:\n  Accept: {value: [a, b]}\n  X-Empty: {}\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(["a", "b"], m.Header["Accept"].Value);
        Assert.Empty(m.Header["X-Empty"].Value);

        (_, errors) = Read<HttpRequest>("header:\n  A: {}\n  A: {}\n  B: ~\n  C: [1]\nquery: [x]\n");
        Assert.Equal(
            "t.yaml:3:3: header.A: duplicate key \"A\" (first set at line 2, column 3)\n" +
            "t.yaml:4:6: header.B: null is not allowed as a map value\n" +
            "t.yaml:5:6: header.C: expected a mapping, got a list\n" +
            "t.yaml:6:8: query: expected a mapping, got a list",
            errors);
    }

    [Fact]
    public void Map_of_strings()
    {
        var (m, errors) = Read<GitalyInfo>("address: unix:/x\nfeatures:\n  a: \"1\"\n  b: on\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal("1", m.Features["a"]);
        Assert.Equal("on", m.Features["b"]);
    }

    [Fact]
    public void Bytes_are_base64()
    {
        var (m, errors) = Read<Gitlab.Agent.Protocol.GitOps.ObjectsToSynchronizeResponse.Types.Object>("source: a.yaml\ndata: aGVsbG8=\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal("hello", m.Data.ToStringUtf8());

        (_, errors) = Read<Gitlab.Agent.Protocol.GitOps.ObjectsToSynchronizeResponse.Types.Object>("data: '!!!'\n");
        Assert.Equal("t.yaml:1:7: data: invalid base64 data", errors);
    }

    [Fact]
    public void Unsupported_well_known_type()
    {
        var (_, errors) = Read<ConnectedAgentInfo>("connected_at: 2024-01-01T00:00:00Z\n");
        Assert.Equal("t.yaml:1:15: connectedAt: values of type google.protobuf.Timestamp are not supported in configuration files", errors);
    }

    [Fact]
    public void Oneof_members_in_camel_case_messages()
    {
        var (m, errors) = Read<Gitlab.Agent.Protocol.AgentTracker.Rpc.GetConnectedAgentsRequest>("project_id: 5\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(5, m.ProjectId);

        (_, errors) = Read<Gitlab.Agent.Protocol.AgentTracker.Rpc.GetConnectedAgentsRequest>("projectId: 5\nagentId: 6\n");
        Assert.Equal("t.yaml:2:1: agentId: \"projectId\" and \"agentId\" are both set, but only one of projectId, agentId is allowed", errors);
    }

    [Fact]
    public void Null_oneof_member_does_not_count()
    {
        var (m, errors) = Read<GitRefCF>("tag: ~\nbranch: main\n");
        Assert.Equal(string.Empty, errors);
        Assert.Equal(GitRefCF.RefOneofCase.Branch, m.RefCase);
    }
}
