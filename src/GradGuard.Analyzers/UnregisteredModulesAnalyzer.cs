using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradGuard.Analyzers.ModuleRegistration;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// GG0007: layers TorchSharp never registers, so the optimizer never trains them. (a) Modules or parameters kept in a
    /// <c>List&lt;&gt;</c>, array or <c>Dictionary&lt;,&gt;</c> field, reported on the field. (b) A module class whose fields
    /// nothing registers, reported on the class when the compilation uses it as a root: a class that is only ever a child
    /// is registered, with everything it holds, by its parent's <c>register_module</c>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class UnregisteredModulesAnalyzer : TorchSharpAnalyzer
    {
        /// <summary>The diagnostic property that names the container the fix of (a) switches to.</summary>
        public const string ContainerProperty = "Container";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            RuleIds.UnregisteredModuleCollectionRule,
            RuleIds.UnregisteredRootModuleRule);

        private protected override void Start(CompilationStartAnalysisContext start, Lazy<TorchSymbols?> torchSymbols)
        {
            var unregistered = new ConcurrentDictionary<INamedTypeSymbol, IReadOnlyList<ModuleField>>(SymbolEqualityComparer.Default);
            var roots = new ConcurrentDictionary<INamedTypeSymbol, string>(SymbolEqualityComparer.Default);
            start.RegisterSymbolAction(
                symbol =>
                {
                    if (symbol.Symbol is INamedTypeSymbol { TypeKind: TypeKind.Class } type
                        && torchSymbols.Value is { } torch
                        && torch.IsModuleType(type)
                        && !torch.IsTorchSharp(type))
                    {
                        AnalyzeModuleClass(symbol, type, torch, unregistered);
                    }
                },
                SymbolKind.NamedType);
            RegisterCallAction(start, torchSymbols, RootModuleUse.CandidateNames, (file, call, torch) =>
            {
                if (RootModuleUse.Of(call, file.SemanticModel, torch, file.CancellationToken) is { } use)
                {
                    foreach (var type in use.Types)
                    {
                        roots.TryAdd(type.OriginalDefinition, use.Description);
                    }
                }
            });
            start.RegisterCompilationEndAction(end =>
            {
                foreach (var pair in unregistered)
                {
                    if (roots.TryGetValue(pair.Key, out var use))
                    {
                        end.ReportDiagnostic(Diagnostic.Create(
                            RuleIds.UnregisteredRootModuleRule, pair.Key.Locations[0], pair.Key.Name, use, string.Join(", ", pair.Value.Select(field => $"'{field.Name}'"))));
                    }
                }
            });
        }

        private static void AnalyzeModuleClass(
            SymbolAnalysisContext context,
            INamedTypeSymbol type,
            TorchSymbols torch,
            ConcurrentDictionary<INamedTypeSymbol, IReadOnlyList<ModuleField>> unregistered)
        {
            if (ModuleClassRegistration.Of(type, torch, context.CancellationToken) is not { } registration)
            {
                return;
            }

            foreach (var field in registration.UnregisteredCollections().Where(field => SymbolEqualityComparer.Default.Equals(DeclaringType(type, field), type)))
            {
                var properties = field.RegisteringContainer is { } container
                    ? ImmutableDictionary<string, string?>.Empty.Add(ContainerProperty, container)
                    : ImmutableDictionary<string, string?>.Empty;
                context.ReportDiagnostic(Diagnostic.Create(
                    RuleIds.UnregisteredModuleCollectionRule,
                    field.Location,
                    properties,
                    field.Name,
                    field.Elements,
                    field.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                    field.RegisteringContainer ?? "a ModuleDict keyed by name, or register_module for each of them"));
            }

            if (!type.IsAbstract && registration.UnregisteredFields().ToList() is { Count: > 0 } fields)
            {
                unregistered[type] = fields;
            }
        }

        /// <summary>The class that declares a field: a collection in a base class is reported there, once.</summary>
        private static INamedTypeSymbol? DeclaringType(INamedTypeSymbol type, ModuleField field)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (current.GetMembers(field.Name).Any())
                {
                    return current;
                }
            }

            return null;
        }
    }
}
