using System.Text.Json;
using Gitlab.Agent.Agentk.Kas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Sends sync states to KAS through <c>GitlabAccess/MakeRequest</c> (module <c>gitops_sync_state</c>, <c>POST /</c>).
/// Reporting is best effort: failures are logged and never affect synchronization.
/// </summary>
internal sealed class SyncStateReporter(IServiceProvider services, TimeProvider timeProvider, ILogger<SyncStateReporter> logger)
{
    public const string ModuleName = "gitops_sync_state";

    private static readonly Dictionary<string, string> JsonHeaders = new(StringComparer.Ordinal) { ["Content-Type"] = "application/json" };

    private readonly IGitlabAccessClient? _client = services.GetService<IGitlabAccessClient>();

    public async Task ReportAsync(string projectPath, SyncOutcome outcome, CancellationToken cancellationToken)
    {
        var state = new GitOpsSyncState
        {
            ProjectId = projectPath,
            CommitId = outcome.CommitId,
            Status = outcome.Status,
            Message = outcome.Message,
            SyncedAt = timeProvider.GetUtcNow(),
            Objects = [.. outcome.Objects],
        };
        await SendAsync(state, cancellationToken).ConfigureAwait(false);
    }

    public async Task SendAsync(GitOpsSyncState state, CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(state, GitOpsJson.Options);
            var response = await _client.SendAsync(ModuleName, "POST", "/", body, JsonHeaders, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is < 200 or >= 300)
            {
                var reason = $"KAS answered {response.StatusCode}";
                GitOpsAgentLog.ReportFailed(logger, state.ProjectId, reason);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            GitOpsAgentLog.ReportFailed(logger, state.ProjectId, e.Message);
        }
    }
}
