using Gitlab.Agent.Kas.Users;
using Microsoft.AspNetCore.Http;

namespace Gitlab.Agent.Kas.Tests.Users;

public sealed class PersonalAccessTokenHeadersTests
{
    [Theory]
    [InlineData("Bearer glpat-abc", null, "glpat-abc")]
    [InlineData("bearer  glpat-abc ", null, "glpat-abc")]
    [InlineData(null, "glpat-private", "glpat-private")]
    [InlineData(null, " glpat-private ", "glpat-private")]
    [InlineData("Basic dXNlcjpwYXNz", "glpat-private", "glpat-private")]
    [InlineData("Bearer glpat-abc", "glpat-private", "glpat-abc")]
    [InlineData("Bearer   ", "glpat-private", null)]
    [InlineData(null, "   ", null)]
    [InlineData("Basic dXNlcjpwYXNz", null, null)]
    [InlineData(null, null, null)]
    public void Read_takes_a_bearer_token_else_PRIVATE_TOKEN(string? authorization, string? privateToken, string? expected)
    {
        var context = new DefaultHttpContext();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        if (privateToken is not null)
        {
            context.Request.Headers[PersonalAccessTokenHeaders.PrivateToken] = privateToken;
        }

        Assert.Equal(expected, PersonalAccessTokenHeaders.Read(context.Request));
    }

    [Fact]
    public void Read_ignores_the_ui_cookie_and_the_query_string()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = "_gitlab_agent_ui=glpat-cookie";
        context.Request.QueryString = new QueryString("?private_token=glpat-query");

        Assert.Null(PersonalAccessTokenHeaders.Read(context.Request));
    }
}
