using GraphQL;
using GraphQL.Types;

namespace Gitlab.Agent.Management.Graphql;

/// <summary>Root query: <c>project(fullPath)</c> and <c>currentUser</c>.</summary>
internal sealed class QueryGraphType : ObjectGraphType
{
    public QueryGraphType()
    {
        Name = "Query";
        Field<ProjectGraphType>("project")
            .Description("Find a project. Null when it does not exist or the caller is not at least a Developer of it.")
            .Argument<NonNullGraphType<IdGraphType>>("fullPath", "Full path of the project, e.g. group/project.")
            .ResolveAsync(async c => await c.Management().GetProjectAsync(c.CurrentUser(), c.GetArgument<string>("fullPath"), c.CancellationToken));
        Field<UserCoreGraphType>("currentUser")
            .Description("The user the personal access token belongs to.")
            .Resolve(c => c.CurrentUser().User);
    }
}

/// <summary><c>UserCore</c>: the authenticated user.</summary>
internal sealed class UserCoreGraphType : ObjectGraphType<Kas.Users.UserInfo>
{
    public UserCoreGraphType()
    {
        Name = "UserCore";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => Services.GlobalId.Format(Services.GlobalId.UserType, c.Source.Id));
        Field<NonNullGraphType<StringGraphType>>("username").Resolve(c => c.Source.Username);
    }
}
