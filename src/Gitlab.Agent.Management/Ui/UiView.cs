using System.Text.Json.Nodes;

namespace Gitlab.Agent.Management;

/// <summary>One rendered UI page: its title, the HTML of its content area, and the same state as data.</summary>
internal sealed record UiView(string Title, string Html, JsonObject Data);
