namespace Gitlab.Agent.Testing.Semantics;

/// <summary>How a list merges (OpenAPI <c>x-kubernetes-list-type</c>).</summary>
internal enum ListType
{
    /// <summary>Replaced as a whole; owned as one field.</summary>
    Atomic,

    /// <summary>Scalars merged as a set; items owned as <c>v:&lt;value&gt;</c>.</summary>
    Set,

    /// <summary>Objects merged by key fields; items owned as <c>k:{...}</c>.</summary>
    Map,
}
