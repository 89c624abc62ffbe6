using System.Text.Json;
using Gitlab.Agent.Tunnel.Server.Access;

namespace Gitlab.Agent.Tunnel.Tests.Access;

public sealed class CiJobTokenRequestTests
{
    [Theory]
    [InlineData("production", "production")]
    [InlineData("prd", "production")]
    [InlineData("live", "production")]
    [InlineData("staging", "staging")]
    [InlineData("pre-prod", "staging")]
    [InlineData("review/feature-1", "development")]
    [InlineData("dev", "development")]
    [InlineData("qa", "testing")]
    [InlineData("sandbox", "other")]
    public void Tier_is_guessed_from_the_name_like_gitlab(string name, string tier) =>
        Assert.Equal(tier, CiJobTokenEndpoints.GuessTier(name));

    [Theory]
    [InlineData("production", "production")]
    [InlineData("review/Feature 1", "review-feature-1")]
    [InlineData("a-very-long-environment-name-indeed", "a-very-long-environment")]
    [InlineData("///", "env")]
    public void Slug_keeps_lower_case_alphanumerics_and_dashes(string name, string slug) =>
        Assert.Equal(slug, CiJobTokenEndpoints.Slug(name));

    [Fact]
    public void Ancestor_groups_are_top_level_first_with_the_given_ids()
    {
        var groups = CiJobTokenEndpoints.AncestorGroups("top/sub/app", new Dictionary<string, long> { ["top"] = 5 });

        Assert.Equal([new GroupRef(5, "top"), new GroupRef(null, "top/sub")], groups);
    }

    [Fact]
    public void A_full_request_is_read_with_defaults_filled_in()
    {
        var body = JsonDocument.Parse("""{"project":"/group/app/","job_id":9,"environment":{"name":"review/x"},"expires_in":120}""").RootElement;

        Assert.Null(CiJobTokenEndpoints.Parse(body, out var request));
        Assert.Equal("group/app", request.Project);
        Assert.Equal(9, request.JobId);
        Assert.Equal(0, request.PipelineId);
        Assert.Equal(new CiJobEnvironment("review/x", "review-x", "development"), request.Environment);
        Assert.Equal(TimeSpan.FromMinutes(2), request.Lifetime);
    }

    [Theory]
    [InlineData("[]", "request body: expected a JSON object")]
    [InlineData("""{"job_id":1}""", "project: required")]
    [InlineData("""{"project":"a/b","job_id":"1"}""", "job_id: required, a positive integer")]
    [InlineData("""{"project":"a/b","job_id":1,"pipeline_id":-1}""", "pipeline_id:")]
    [InlineData("""{"project":"a/b","job_id":1,"expires_in":999999}""", "expires_in: seconds between 60 and 86400")]
    [InlineData("""{"project":"a/b","job_id":1,"environment":{}}""", "environment.name: required")]
    public void Bad_requests_name_the_field(string json, string error)
    {
        var problem = CiJobTokenEndpoints.Parse(JsonDocument.Parse(json).RootElement, out _);

        Assert.NotNull(problem);
        Assert.StartsWith(error, problem);
    }
}
