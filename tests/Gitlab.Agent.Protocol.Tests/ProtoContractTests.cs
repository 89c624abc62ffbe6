using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gitlab.Agent.Protocol.Tests;

/// <summary>
/// Wire contract of the GitLab agent protocol (reference: gitlab-agent-protocol.md §2.2–§2.6, §3.1). Package names,
/// full method names, streaming kinds, field numbers and types must match GitLab's, or agentk/kas from GitLab will not
/// interoperate. A change here must be deliberate: update the reference first.
/// </summary>
public class ProtoContractTests
{
    public static TheoryData<string, string> Packages => new()
    {
        { "gitlab/agent/entity/entity.proto", "gitlab.agent.entity" },
        { "gitlab/agent/prototool/prototool.proto", "gitlab.agent.prototool" },
        { "gitlab/agent/grpctool/grpctool.proto", "gitlab.agent.grpctool" },
        { "gitlab/agent/agentcfg/agentcfg.proto", "gitlab.agent.agentcfg" },
        { "gitlab/agent/agent_configuration/rpc/rpc.proto", "gitlab.agent.agent_configuration.rpc" },
        { "gitlab/agent/gitops/rpc/rpc.proto", "gitlab.agent.gitops.rpc" },
        { "gitlab/agent/gitlab_access/rpc/rpc.proto", "gitlab.agent.gitlab_access.rpc" },
        { "gitlab/agent/reverse_tunnel/info/info.proto", "gitlab.agent.reverse_tunnel.info" },
        { "gitlab/agent/reverse_tunnel/rpc/rpc.proto", "gitlab.agent.reverse_tunnel.rpc" },
        { "gitlab/agent/flux/rpc/rpc.proto", "gitlab.agent.flux.rpc" },
        { "gitlab/agent/agent_registrar/rpc/rpc.proto", "gitlab.agent.agent_registrar.rpc" },
        { "gitlab/agent/kubernetes_api/rpc/rpc.proto", "gitlab.agent.kubernetes_api.rpc" },
        { "gitlab/agent/kas/kas.proto", "gitlab.agent.kas" },
        { "gitlab/agent/redistool/redistool.proto", "gitlab.agent.redistool" },
        { "gitlab/agent/agent_tracker/agent_tracker.proto", "gitlab.agent.agent_tracker" },
        { "gitlab/agent/agent_tracker/rpc/rpc.proto", "gitlab.agent.agent_tracker.rpc" },
        { "gitlab/agent/configuration_project/rpc/rpc.proto", "gitlab.agent.configuration_project.rpc" },
        { "gitlab/agent/notifications/rpc/rpc.proto", "gitlab.agent.notifications.rpc" },
        { "gitlab/agent/event/event.proto", "gitlab.agent.event" },
        { "gitlab/agent/kascfg/kascfg.proto", "gitlab.agent.kascfg" },
        { "google/rpc/status.proto", "google.rpc" },
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void Proto_file_has_the_expected_package(string file, string package)
    {
        Assert.True(ProtoDescriptors.Files.ContainsKey(file), $"{file} is not compiled into Gitlab.Agent.Protocol");
        Assert.Equal(package, ProtoDescriptors.Files[file].Package);
    }

    public static TheoryData<string, MethodType, string, string> Methods => new()
    {
        // §2.3 agentk → kas (agent listener)
        { "/gitlab.agent.agent_configuration.rpc.AgentConfiguration/GetConfiguration", MethodType.ServerStreaming, "gitlab.agent.agent_configuration.rpc.ConfigurationRequest", "gitlab.agent.agent_configuration.rpc.ConfigurationResponse" },
        { "/gitlab.agent.gitops.rpc.Gitops/GetObjectsToSynchronize", MethodType.ServerStreaming, "gitlab.agent.gitops.rpc.ObjectsToSynchronizeRequest", "gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse" },
        { "/gitlab.agent.gitlab_access.rpc.GitlabAccess/MakeRequest", MethodType.DuplexStreaming, "gitlab.agent.grpctool.HttpRequest", "gitlab.agent.grpctool.HttpResponse" },
        { "/gitlab.agent.reverse_tunnel.rpc.ReverseTunnel/Connect", MethodType.DuplexStreaming, "gitlab.agent.reverse_tunnel.rpc.ConnectRequest", "gitlab.agent.reverse_tunnel.rpc.ConnectResponse" },
        { "/gitlab.agent.flux.rpc.GitLabFlux/ReconcileProjects", MethodType.ServerStreaming, "gitlab.agent.flux.rpc.ReconcileProjectsRequest", "gitlab.agent.flux.rpc.ReconcileProjectsResponse" },
        { "/gitlab.agent.agent_registrar.rpc.AgentRegistrar/Register", MethodType.Unary, "gitlab.agent.agent_registrar.rpc.RegisterRequest", "gitlab.agent.agent_registrar.rpc.RegisterResponse" },
        // §2.4 served by agentk through the reverse tunnel
        { "/gitlab.agent.kubernetes_api.rpc.KubernetesApi/MakeRequest", MethodType.DuplexStreaming, "gitlab.agent.grpctool.HttpRequest", "gitlab.agent.grpctool.HttpResponse" },
        // §2.6 GitLab → kas (api listener)
        { "/gitlab.agent.agent_tracker.rpc.AgentTracker/GetConnectedAgents", MethodType.Unary, "gitlab.agent.agent_tracker.rpc.GetConnectedAgentsRequest", "gitlab.agent.agent_tracker.rpc.GetConnectedAgentsResponse" },
        { "/gitlab.agent.configuration_project.rpc.ConfigurationProject/ListAgentConfigFiles", MethodType.Unary, "gitlab.agent.configuration_project.rpc.ListAgentConfigFilesRequest", "gitlab.agent.configuration_project.rpc.ListAgentConfigFilesResponse" },
        { "/gitlab.agent.notifications.rpc.Notifications/GitPushEvent", MethodType.Unary, "gitlab.agent.notifications.rpc.GitPushEventRequest", "gitlab.agent.notifications.rpc.GitPushEventResponse" },
        // Cilium Hubble Relay (cilium-hubble.md §1): the agent is a client of Cilium's observer API.
        { "/observer.Observer/GetFlows", MethodType.ServerStreaming, "observer.GetFlowsRequest", "observer.GetFlowsResponse" },
        { "/observer.Observer/GetNodes", MethodType.Unary, "observer.GetNodesRequest", "observer.GetNodesResponse" },
        { "/observer.Observer/ServerStatus", MethodType.Unary, "observer.ServerStatusRequest", "observer.ServerStatusResponse" },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Method_has_the_expected_path_kind_and_messages(string fullMethod, MethodType kind, string input, string output)
    {
        var parts = fullMethod.Split('/');
        Assert.True(ProtoDescriptors.Services.TryGetValue(parts[1], out var service), $"service {parts[1]} not found");
        var method = service.FindMethodByName(parts[2]);
        Assert.NotNull(method);
        Assert.Equal(input, method.InputType.FullName);
        Assert.Equal(output, method.OutputType.FullName);
        Assert.Equal(kind is MethodType.ClientStreaming or MethodType.DuplexStreaming, method.IsClientStreaming);
        Assert.Equal(kind is MethodType.ServerStreaming or MethodType.DuplexStreaming, method.IsServerStreaming);

        // The generated gRPC stubs (what clients and servers actually use) carry the same path and kind.
        var generated = GeneratedMethods().Where(m => m.FullName == fullMethod).ToList();
        var stub = Assert.Single(generated);
        Assert.Equal(kind, stub.Type);
    }

    [Fact]
    public void Every_generated_method_is_in_the_contract_table()
    {
        var listed = Methods.Select(row => (string)row[0]).ToHashSet();
        var unlisted = GeneratedMethods().Select(m => m.FullName).Where(m => !listed.Contains(m)).ToList();
        Assert.True(unlisted.Count == 0, "add to the contract table: " + string.Join(", ", unlisted));
    }

    public static TheoryData<string, string> MessageFields => new()
    {
        // §2.2 shared messages
        { "gitlab.agent.entity.AgentMeta", "1 version string; 2 commit_id string; 3 pod_namespace string; 4 pod_name string; 5 kubernetes_version gitlab.agent.entity.KubernetesVersion" },
        { "gitlab.agent.entity.KubernetesVersion", "1 major string; 2 minor string; 3 git_version string; 4 platform string" },
        { "gitlab.agent.prototool.Values", "1 value repeated string" },
        { "gitlab.agent.prototool.HttpRequest", "1 method string; 2 header map<string,gitlab.agent.prototool.Values>; 3 url_path string; 4 query map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.prototool.HttpResponse", "1 status_code int32; 2 status string; 3 header map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.grpctool.HttpRequest", "1 header gitlab.agent.grpctool.HttpRequest.Header oneof=message; 2 data gitlab.agent.grpctool.HttpRequest.Data oneof=message; 3 trailer gitlab.agent.grpctool.HttpRequest.Trailer oneof=message; 4 upgradeData gitlab.agent.grpctool.HttpRequest.UpgradeData oneof=message" },
        { "gitlab.agent.grpctool.HttpRequest.Header", "1 request gitlab.agent.prototool.HttpRequest; 2 extra google.protobuf.Any; 3 content_length optional int64" },
        { "gitlab.agent.grpctool.HttpRequest.Data", "1 data bytes" },
        { "gitlab.agent.grpctool.HttpRequest.Trailer", "" },
        { "gitlab.agent.grpctool.HttpRequest.UpgradeData", "1 data bytes" },
        { "gitlab.agent.grpctool.HttpResponse", "1 header gitlab.agent.grpctool.HttpResponse.Header oneof=message; 2 data gitlab.agent.grpctool.HttpResponse.Data oneof=message; 3 trailer gitlab.agent.grpctool.HttpResponse.Trailer oneof=message; 4 upgradeData gitlab.agent.grpctool.HttpResponse.UpgradeData oneof=message" },
        { "gitlab.agent.grpctool.HttpResponse.Header", "1 response gitlab.agent.prototool.HttpResponse" },
        { "gitlab.agent.grpctool.HttpResponse.Data", "1 data bytes" },
        { "gitlab.agent.grpctool.HttpResponse.Trailer", "" },
        { "gitlab.agent.grpctool.HttpResponse.UpgradeData", "1 data bytes" },

        // §2.3 agentk → kas
        { "gitlab.agent.agent_configuration.rpc.ConfigurationRequest", "1 commit_id string; 2 agent_meta gitlab.agent.entity.AgentMeta; 3 skip_register bool" },
        { "gitlab.agent.agent_configuration.rpc.ConfigurationResponse", "1 configuration gitlab.agent.agentcfg.AgentConfiguration; 2 commit_id string" },
        // AgentConfiguration 1–11 as in GitLab; 12 user_access is this implementation's addition (not in the reference).
        { "gitlab.agent.agentcfg.AgentConfiguration", "1 gitops gitlab.agent.agentcfg.GitopsCF; 2 observability gitlab.agent.agentcfg.ObservabilityCF; 3 cilium gitlab.agent.agentcfg.CiliumCF; 4 agent_id int64; 5 project_id int64; 6 ci_access gitlab.agent.agentcfg.CiAccessCF; 7 container_scanning gitlab.agent.agentcfg.ContainerScanningCF; 8 project_path string; 9 remote_development gitlab.agent.agentcfg.RemoteDevelopmentCF; 10 flux gitlab.agent.agentcfg.FluxCF; 11 gitlab_external_url string; 12 user_access gitlab.agent.agentcfg.UserAccessCF" },
        { "gitlab.agent.gitops.rpc.ObjectsToSynchronizeRequest", "1 project_id string; 2 commit_id string; 3 paths repeated gitlab.agent.gitops.rpc.PathCF; 4 ref gitlab.agent.gitops.rpc.GitRefCF" },
        { "gitlab.agent.gitops.rpc.PathCF", "1 glob string oneof=path; 2 file string oneof=path" },
        { "gitlab.agent.gitops.rpc.GitRefCF", "1 tag string oneof=ref; 2 branch string oneof=ref; 3 commit string oneof=ref" },
        { "gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse", "1 header gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse.Header oneof=message; 2 object gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse.Object oneof=message; 3 trailer gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse.Trailer oneof=message" },
        { "gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse.Header", "1 commit_id string; 2 project_id int64" },
        { "gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse.Object", "1 source string; 2 data bytes" },
        { "gitlab.agent.gitops.rpc.ObjectsToSynchronizeResponse.Trailer", "" },
        { "gitlab.agent.gitlab_access.rpc.HeaderExtra", "1 module_name string" },
        { "gitlab.agent.agent_registrar.rpc.RegisterRequest", "1 agent_meta gitlab.agent.entity.AgentMeta; 2 pod_id int64" },
        { "gitlab.agent.agent_registrar.rpc.RegisterResponse", "" },
        { "gitlab.agent.flux.rpc.ReconcileProjectsRequest", "1 project repeated gitlab.agent.flux.rpc.Project" },
        { "gitlab.agent.flux.rpc.ReconcileProjectsResponse", "1 project gitlab.agent.flux.rpc.Project" },
        { "gitlab.agent.flux.rpc.Project", "1 id string" },

        // §2.4 reverse tunnel (the Descriptor frame's message name is not on the wire)
        { "gitlab.agent.reverse_tunnel.info.Method", "1 name string" },
        { "gitlab.agent.reverse_tunnel.info.Service", "1 name string; 2 methods repeated gitlab.agent.reverse_tunnel.info.Method" },
        { "gitlab.agent.reverse_tunnel.info.AgentDescriptor", "1 services repeated gitlab.agent.reverse_tunnel.info.Service" },
        { "gitlab.agent.reverse_tunnel.rpc.AgentDescriptorFrame", "1 agent_descriptor gitlab.agent.reverse_tunnel.info.AgentDescriptor" },
        { "gitlab.agent.reverse_tunnel.rpc.Header", "1 meta map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.reverse_tunnel.rpc.Message", "1 data bytes" },
        { "gitlab.agent.reverse_tunnel.rpc.Trailer", "1 meta map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.reverse_tunnel.rpc.Error", "1 status google.rpc.Status" },
        { "gitlab.agent.reverse_tunnel.rpc.ConnectRequest", "1 descriptor gitlab.agent.reverse_tunnel.rpc.AgentDescriptorFrame oneof=msg; 2 header gitlab.agent.reverse_tunnel.rpc.Header oneof=msg; 3 message gitlab.agent.reverse_tunnel.rpc.Message oneof=msg; 4 trailer gitlab.agent.reverse_tunnel.rpc.Trailer oneof=msg; 5 error gitlab.agent.reverse_tunnel.rpc.Error oneof=msg" },
        { "gitlab.agent.reverse_tunnel.rpc.RequestInfo", "1 method_name string; 2 meta map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.reverse_tunnel.rpc.CloseSend", "" },
        { "gitlab.agent.reverse_tunnel.rpc.ConnectResponse", "1 request_info gitlab.agent.reverse_tunnel.rpc.RequestInfo oneof=msg; 2 message gitlab.agent.reverse_tunnel.rpc.Message oneof=msg; 3 close_send gitlab.agent.reverse_tunnel.rpc.CloseSend oneof=msg" },
        { "google.rpc.Status", "1 code int32; 2 message string; 3 details repeated google.protobuf.Any" },

        // §2.5 kas ↔ kas routing and Redis records
        { "gitlab.agent.kas.StartStreaming", "" },
        { "gitlab.agent.kas.GatewayKasResponse", "1 tunnel_ready gitlab.agent.kas.GatewayKasResponse.TunnelReady oneof=msg; 2 header gitlab.agent.kas.GatewayKasResponse.Header oneof=msg; 3 message gitlab.agent.kas.GatewayKasResponse.Message oneof=msg; 4 trailer gitlab.agent.kas.GatewayKasResponse.Trailer oneof=msg; 5 error gitlab.agent.kas.GatewayKasResponse.Error oneof=msg; 6 no_tunnel gitlab.agent.kas.GatewayKasResponse.NoTunnel oneof=msg" },
        { "gitlab.agent.kas.GatewayKasResponse.TunnelReady", "" },
        { "gitlab.agent.kas.GatewayKasResponse.Header", "1 meta map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.kas.GatewayKasResponse.Message", "1 data bytes" },
        { "gitlab.agent.kas.GatewayKasResponse.Trailer", "1 meta map<string,gitlab.agent.prototool.Values>" },
        { "gitlab.agent.kas.GatewayKasResponse.Error", "1 status google.rpc.Status" },
        { "gitlab.agent.kas.GatewayKasResponse.NoTunnel", "" },
        { "gitlab.agent.redistool.ExpiringValue", "1 expires_at int64; 2 value bytes" },
        { "gitlab.agent.agent_tracker.ConnectedAgentInfo", "1 agent_meta gitlab.agent.entity.AgentMeta; 2 connected_at google.protobuf.Timestamp; 3 connection_id int64; 4 agent_id int64; 5 project_id int64" },

        // §2.6 GitLab → kas
        { "gitlab.agent.agent_tracker.rpc.GetConnectedAgentsRequest", "1 project_id int64 oneof=request; 2 agent_id int64 oneof=request" },
        { "gitlab.agent.agent_tracker.rpc.GetConnectedAgentsResponse", "1 agents repeated gitlab.agent.agent_tracker.ConnectedAgentInfo" },
        { "gitlab.agent.configuration_project.rpc.ListAgentConfigFilesRequest", "1 repository gitlab.agent.entity.GitalyRepository; 2 gitaly_info gitlab.agent.entity.GitalyInfo; 3 default_branch string" },
        { "gitlab.agent.configuration_project.rpc.ListAgentConfigFilesResponse", "1 config_files repeated gitlab.agent.configuration_project.rpc.AgentConfigFile" },
        { "gitlab.agent.configuration_project.rpc.AgentConfigFile", "1 name string; 2 agent_name string" },
        { "gitlab.agent.notifications.rpc.GitPushEventRequest", "1 event gitlab.agent.event.GitPushEvent" },
        { "gitlab.agent.notifications.rpc.GitPushEventResponse", "" },
        { "gitlab.agent.event.GitPushEvent", "1 project gitlab.agent.event.Project" },
        { "gitlab.agent.event.Project", "1 id int64; 2 full_path string" },
        { "gitlab.agent.entity.GitalyRepository", "2 storage_name string; 3 relative_path string; 4 git_object_directory string; 5 git_alternate_object_directories repeated string; 6 gl_repository string; 8 gl_project_path string" },
        { "gitlab.agent.entity.GitalyInfo", "1 address string; 2 token string; 3 features map<string,string>" },
        { "gitlab.agent.kubernetes_api.rpc.HeaderExtra", "1 imp_config gitlab.agent.kubernetes_api.rpc.ImpersonationConfig" },
        { "gitlab.agent.kubernetes_api.rpc.ImpersonationConfig", "1 username string; 2 groups repeated string; 3 uid string; 4 extra repeated gitlab.agent.kubernetes_api.rpc.ExtraKeyVal" },
        { "gitlab.agent.kubernetes_api.rpc.ExtraKeyVal", "1 key string; 2 val repeated string" },

        // §3.1 agent configuration file (YAML keys = these field names)
        { "gitlab.agent.agentcfg.ConfigurationFile", "1 gitops gitlab.agent.agentcfg.GitopsCF; 2 observability gitlab.agent.agentcfg.ObservabilityCF; 3 cilium gitlab.agent.agentcfg.CiliumCF; 4 ci_access gitlab.agent.agentcfg.CiAccessCF; 5 container_scanning gitlab.agent.agentcfg.ContainerScanningCF; 6 user_access gitlab.agent.agentcfg.UserAccessCF; 7 remote_development gitlab.agent.agentcfg.RemoteDevelopmentCF; 8 flux gitlab.agent.agentcfg.FluxCF" },
        { "gitlab.agent.agentcfg.GitopsCF", "1 manifest_projects repeated gitlab.agent.agentcfg.ManifestProjectCF" },
        { "gitlab.agent.agentcfg.ManifestProjectCF", "1 id optional string; 2 resource_inclusions repeated gitlab.agent.agentcfg.ResourceFilterCF; 3 resource_exclusions repeated gitlab.agent.agentcfg.ResourceFilterCF; 4 default_namespace string; 5 paths repeated gitlab.agent.agentcfg.PathCF; 6 reconcile_timeout google.protobuf.Duration; 7 dry_run_strategy string; 8 prune bool oneof=prune_oneof; 9 prune_timeout google.protobuf.Duration; 10 prune_propagation_policy string; 11 inventory_policy string; 12 ref gitlab.agent.agentcfg.GitRefCF; 13 allow_empty_prune bool; 14 apply_on_decode_error bool" },
        { "gitlab.agent.agentcfg.ResourceFilterCF", "1 api_groups repeated string; 2 kinds repeated string" },
        { "gitlab.agent.agentcfg.PathCF", "1 glob string" },
        { "gitlab.agent.agentcfg.GitRefCF", "1 tag string oneof=ref; 2 branch string oneof=ref; 3 commit string oneof=ref" },
        { "gitlab.agent.agentcfg.ObservabilityCF", "1 logging gitlab.agent.agentcfg.LoggingCF; 2 google_profiler gitlab.agent.agentcfg.GoogleProfilerCF" },
        { "gitlab.agent.agentcfg.LoggingCF", "1 level gitlab.agent.agentcfg.log_level_enum; 2 grpc_level optional gitlab.agent.agentcfg.log_level_enum" },
        { "gitlab.agent.agentcfg.GoogleProfilerCF", "1 enabled bool; 2 project_id string; 3 credentials_file string; 4 debug_logging bool" },
        { "gitlab.agent.agentcfg.CiliumCF", "1 hubble_relay_address string" },
        { "gitlab.agent.agentcfg.CiAccessCF", "1 projects repeated gitlab.agent.agentcfg.CiAccessProjectCF; 2 groups repeated gitlab.agent.agentcfg.CiAccessGroupCF" },
        { "gitlab.agent.agentcfg.CiAccessProjectCF", "1 id string; 2 default_namespace string; 3 access_as gitlab.agent.agentcfg.CiAccessAsCF; 4 environments repeated string" },
        { "gitlab.agent.agentcfg.CiAccessGroupCF", "1 id string; 2 default_namespace string; 3 access_as gitlab.agent.agentcfg.CiAccessAsCF; 4 environments repeated string" },
        { "gitlab.agent.agentcfg.CiAccessAsCF", "1 agent gitlab.agent.agentcfg.CiAccessAsAgentCF oneof=as; 2 impersonate gitlab.agent.agentcfg.CiAccessAsImpersonateCF oneof=as; 3 ci_job gitlab.agent.agentcfg.CiAccessAsCiJobCF oneof=as" },
        { "gitlab.agent.agentcfg.CiAccessAsAgentCF", "" },
        { "gitlab.agent.agentcfg.CiAccessAsCiJobCF", "" },
        { "gitlab.agent.agentcfg.CiAccessAsImpersonateCF", "1 username string; 2 groups repeated string; 3 uid string; 4 extra repeated gitlab.agent.agentcfg.ExtraKeyValCF" },
        { "gitlab.agent.agentcfg.ExtraKeyValCF", "1 key string; 2 val repeated string" },
        { "gitlab.agent.agentcfg.UserAccessCF", "1 access_as gitlab.agent.agentcfg.UserAccessAsCF; 2 projects repeated gitlab.agent.agentcfg.UserAccessProjectCF; 3 groups repeated gitlab.agent.agentcfg.UserAccessGroupCF" },
        { "gitlab.agent.agentcfg.UserAccessAsCF", "1 agent gitlab.agent.agentcfg.UserAccessAsAgentCF oneof=as; 3 user gitlab.agent.agentcfg.UserAccessAsUserCF oneof=as" },
        { "gitlab.agent.agentcfg.UserAccessProjectCF", "1 id string" },
        { "gitlab.agent.agentcfg.UserAccessGroupCF", "1 id string" },
        { "gitlab.agent.agentcfg.ContainerScanningCF", "1 vulnerability_report gitlab.agent.agentcfg.VulnerabilityReportCF; 2 cadence string; 3 resource_requirements gitlab.agent.agentcfg.ResourceRequirementsCF" },
        { "gitlab.agent.agentcfg.VulnerabilityReportCF", "1 namespaces repeated string; 2 filters repeated gitlab.agent.agentcfg.ContainerScanningFilterCF" },
        { "gitlab.agent.agentcfg.ContainerScanningFilterCF", "1 namespaces repeated string; 2 resources repeated string; 3 containers repeated string; 4 kinds repeated string" },
        { "gitlab.agent.agentcfg.ResourceRequirementsCF", "1 limits gitlab.agent.agentcfg.ResourceCF; 2 requests gitlab.agent.agentcfg.ResourceCF" },
        { "gitlab.agent.agentcfg.ResourceCF", "1 cpu string; 2 memory string" },
        { "gitlab.agent.agentcfg.RemoteDevelopmentCF", "1 enabled bool; 2 dns_zone string; 3 partial_sync_interval google.protobuf.Duration; 4 full_sync_interval google.protobuf.Duration; 5 gitlab_workspaces_proxy gitlab.agent.agentcfg.WorkspacesProxyCF; 6 network_policy gitlab.agent.agentcfg.NetworkPolicyCF" },
        { "gitlab.agent.agentcfg.WorkspacesProxyCF", "1 namespace string" },
        { "gitlab.agent.agentcfg.NetworkPolicyCF", "1 enabled optional bool" },
        { "gitlab.agent.agentcfg.FluxCF", "1 webhook_receiver_url string" },
    };

    [Theory]
    [MemberData(nameof(MessageFields))]
    public void Message_has_the_expected_field_numbers_and_types(string message, string fields)
    {
        Assert.True(ProtoDescriptors.Messages.TryGetValue(message, out var descriptor), $"message {message} not found");
        Assert.Equal(fields, ProtoDescriptors.Render(descriptor));
    }

    [Fact]
    public void Log_level_enum_values()
    {
        var levels = ProtoDescriptors.Enums["gitlab.agent.agentcfg.log_level_enum"];
        Assert.Equal(["info=0", "debug=1", "warn=2", "error=3"], levels.Values.Select(v => $"{v.Name}={v.Number}"));
    }

    [Fact]
    public void Gitops_charts_field_stays_reserved()
    {
        var proto = ProtoDescriptors.Messages["gitlab.agent.agentcfg.GitopsCF"].ToProto();
        Assert.Contains(proto.ReservedRange, r => r.Start <= 2 && 2 < r.End);
        Assert.Contains("charts", proto.ReservedName);
    }

    [Theory]
    [InlineData("gitlab/agent/agentcfg/agentcfg.proto")]
    [InlineData("gitlab/agent/kascfg/kascfg.proto")]
    public void Configuration_file_keys_are_the_snake_case_field_names(string file)
    {
        // YAML keys are json_name; GitLab's files use snake_case, so json_name must equal the field name.
        var mismatches = ProtoDescriptors.Files[file].MessageTypes
            .Where(m => m.Name != "AgentConfiguration") // sent on the wire only, never read from YAML
            .SelectMany(m => m.Fields.InDeclarationOrder())
            .Where(f => f.JsonName != f.Name)
            .Select(f => $"{f.ContainingType.Name}.{f.Name} (json_name {f.JsonName})")
            .ToList();
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Any_type_urls_of_header_extras()
    {
        Assert.Equal("type.googleapis.com/gitlab.agent.kubernetes_api.rpc.HeaderExtra",
            Any.Pack(new KubernetesApi.HeaderExtra()).TypeUrl);
        Assert.Equal("type.googleapis.com/gitlab.agent.gitlab_access.rpc.HeaderExtra",
            Any.Pack(new GitlabAccess.HeaderExtra()).TypeUrl);
    }

    [Fact]
    public void Header_extra_survives_an_any_round_trip_on_the_wire()
    {
        var header = new Grpctool.HttpRequest
        {
            Header = new Grpctool.HttpRequest.Types.Header
            {
                Request = new Prototool.HttpRequest { Method = "GET", UrlPath = "/api/v1/pods" },
                Extra = Any.Pack(new KubernetesApi.HeaderExtra
                {
                    ImpConfig = new KubernetesApi.ImpersonationConfig { Username = "gitlab:ci_job:1", Groups = { "gitlab:ci_job" } },
                }),
            },
        };

        var parsed = Grpctool.HttpRequest.Parser.ParseFrom(header.ToByteArray());

        Assert.True(parsed.Header.Extra.TryUnpack<KubernetesApi.HeaderExtra>(out var extra));
        Assert.Equal("gitlab:ci_job:1", extra.ImpConfig.Username);
        Assert.False(parsed.Header.HasContentLength);
    }

    private static IEnumerable<IMethod> GeneratedMethods() => ProtoDescriptors.Assembly.GetTypes()
        .SelectMany(t => t.GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static))
        .Where(f => typeof(IMethod).IsAssignableFrom(f.FieldType))
        .Select(f => (IMethod)f.GetValue(null)!);
}
