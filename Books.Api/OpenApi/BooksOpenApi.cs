using Books.Settings;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Books.Api.Books;
using Books.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Books.Api.OpenApi;

/// <summary>
/// The published contract (<c>/openapi/v1.json</c>): what the generator cannot see for itself. Who may
/// write, the headers, the examples, and every field rule as schema keywords, read from the constants
/// <see cref="BookInput"/>, <see cref="BookListing"/> and <see cref="Isbn"/> enforce, so the document
/// and the validator cannot drift.
/// </summary>
public static partial class BooksOpenApi
{
    public const string SecuritySchemeName = "bearer";
    public const string ObjectIdPattern = "^[0-9a-fA-F]{24}$";
    private const string NotBlankPattern = @"\S";
    private const string ProblemMediaType = "application/problem+json";
    private const string LocalDevelopmentServer = "http://localhost:5180";

    /// <summary>Registers the document with its transformers.</summary>
    public static IServiceCollection AddBooksOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(DescribeOperation);
            options.AddSchemaTransformer(DescribeSchema);
        });

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Books API",
            Version = "v1",
            Description =
                "A catalogue of books on MongoDB. Reads are anonymous; writes need a JWT bearer token with the " +
                $"`{BooksApiSettings.WriteScope}` scope and are limited per caller. Every error is an RFC 9457 problem " +
                "(`application/problem+json`). Updates and deletes take `If-Match` with the `ETag` of a read, and " +
                "lists are paged with an opaque keyset cursor.",
            Contact = new OpenApiContact { Name = "The Books team" },
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };

        // At run time the server this document was fetched from, as a relative URL: the framework would write the
        // request's own Host header here, whatever a client sent (OWASP API8). At build time, where the AppHost runs books-api.
        document.Servers = document.Servers is { Count: > 0 }
            ? [new OpenApiServer { Url = "/", Description = "This server." }]
            : [new OpenApiServer { Url = LocalDevelopmentServer, Description = "books-api run by the AppHost (dotnet run --project Books.AppHost)." }];

        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Books", Description = "The catalogue: list, read, add, replace, change and delete books." },
            new() { Name = "Admin", Description = "Operator tasks, such as loading the shipped sample books." },
        };

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description =
                $"A JWT whose `scope` (or `scp`) claim includes `{BooksApiSettings.WriteScope}` (`{BooksApiSettings.AdminScope}` for the admin operations), from the identity provider the " +
                "deployment trusts; in development, from the Aspire dashboard's \"Issue a development token\" command.",
        };
        return Task.CompletedTask;
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAuthorizeData>().Select(a => BooksSecurity.ScopeOf(a.Policy)).OfType<string>().FirstOrDefault() is { } scope)
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [scope] },
            ];
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement()]; // anonymous: an empty requirement
        }

        DescribeParameters(operation);
        if (BooksOpenApiExamples.RequestBodies.TryGetValue(operation.OperationId ?? "", out var body))
        {
            foreach (var content in operation.RequestBody?.Content?.Values ?? [])
            {
                content.Example = body.DeepClone();
            }
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is OpenApiResponse concrete)
            {
                DescribeResponse(operation.OperationId, status, concrete);
            }
        }

        return Task.CompletedTask;
    }

    private static void DescribeParameters(OpenApiOperation operation)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
        {
            if (parameter.Schema is not OpenApiSchema schema)
            {
                continue;
            }

            switch (parameter.In, parameter.Name)
            {
                case (ParameterLocation.Path, "id"):
                    schema.Pattern = ObjectIdPattern;
                    parameter.Example = BooksOpenApiExamples.BookId;
                    break;
                case (ParameterLocation.Path, "isbn"):
                    schema.Pattern = Isbn.Pattern;
                    parameter.Example = BooksOpenApiExamples.Request.Isbn;
                    break;
                case (ParameterLocation.Query, "sort"):
                    schema.Enum = [.. BookSort.Names.Select(name => (JsonNode)name)];
                    schema.Default = BookSort.Default.Name;
                    break;
                case (ParameterLocation.Query, "limit"):
                    (schema.Minimum, schema.Maximum, schema.Default) = ("1", Number(BookListing.MaxPageSize), BookListing.DefaultPageSize);
                    break;
                case (ParameterLocation.Query, "author" or "tag" or "q"):
                    schema.MaxLength = BookListing.MaxFilterLength;
                    break;
            }
        }

        var method = operation.OperationId;
        if (method is nameof(BooksApi.ReplaceBook) or nameof(BooksApi.PatchBook) or nameof(BooksApi.DeleteBook))
        {
            AddHeaderParameter(operation, "If-Match",
                "Only if the book is still at one of these versions: the ETag of an earlier read (or *). Otherwise 412, and nothing changes.");
        }
        else if (method is nameof(BooksApi.GetBook))
        {
            AddHeaderParameter(operation, "If-None-Match", "Answer 304 with no body if the book is still at one of these versions.");
        }
    }

    private static void AddHeaderParameter(OpenApiOperation operation, string name, string description)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = "\"1\"",
        });
    }

    private static void DescribeResponse(string? operationId, string status, OpenApiResponse response)
    {
        var bookOperation = operationId is nameof(BooksApi.GetBook) or nameof(BooksApi.GetBookByIsbn)
            or nameof(BooksApi.CreateBook) or nameof(BooksApi.ReplaceBook) or nameof(BooksApi.PatchBook);
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        switch (status)
        {
            case "200" or "201" or "304" when bookOperation:
                response.Headers["ETag"] = Header("The book's version as a strong entity tag, for If-Match and If-None-Match.", "\"1\"");
                break;
            case "429" or "503":
                response.Headers["Retry-After"] = Header("Seconds to wait before retrying.", "5", JsonSchemaType.Integer);
                break;
        }

        if (status == "201")
        {
            response.Headers["Location"] = Header("The new book's address.", $"/api/books/{BooksOpenApiExamples.BookId}");
        }

        var readOperation = operationId is nameof(BooksApi.ListBooks) or nameof(BooksApi.GetBook) or nameof(BooksApi.GetBookByIsbn);
        if (response.Content?.TryGetValue(ProblemMediaType, out var problem) == true
            && (operationId == nameof(BooksAdminApi.SeedSampleBooks) && BooksOpenApiExamples.AdminProblems.TryGetValue(status, out var example)
                || readOperation && BooksOpenApiExamples.ReadProblems.TryGetValue(status, out example)
                || BooksOpenApiExamples.Problems.TryGetValue(status, out example)))
        {
            problem.Example = example.DeepClone();
        }
        else if (response.Content?.TryGetValue("application/json", out var json) == true && status is "200" or "201")
        {
            json.Example = (bookOperation ? BooksOpenApiExamples.ResponseJson
                : operationId == nameof(BooksApi.ListBooks) ? BooksOpenApiExamples.PageJson
                : operationId == nameof(BooksAdminApi.SeedSampleBooks) ? BooksOpenApiExamples.SeedJson
                : null)?.DeepClone();
        }

        if (response.Headers.Count == 0)
        {
            response.Headers = null;
        }
    }

    private static OpenApiHeader Header(string description, string example, JsonSchemaType type = JsonSchemaType.String) => new()
    {
        Description = description,
        Required = true, // the server always sends it with this status
        Schema = new OpenApiSchema { Type = type },
        Example = type == JsonSchemaType.Integer ? int.Parse(example, CultureInfo.InvariantCulture) : example,
    };
}
