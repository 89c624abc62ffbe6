namespace Gitlab.Agent.Kas.Modules;

/// <summary>The authenticated agent behind a request on the agent listener.</summary>
/// <param name="AgentId">Unique id of the agent.</param>
/// <param name="AgentName">Agent name; its configuration lives at <c>.gitlab/agents/&lt;name&gt;/config.yaml</c>.</param>
/// <param name="ProjectId">Id of the configuration project.</param>
/// <param name="ProjectPath">Full path of the configuration project, e.g. <c>group/project</c>.</param>
/// <param name="TokenId">Id of the token used to authenticate.</param>
public sealed record AgentIdentity(long AgentId, string AgentName, long ProjectId, string ProjectPath, long TokenId);
