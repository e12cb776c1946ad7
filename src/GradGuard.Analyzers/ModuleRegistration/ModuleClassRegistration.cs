using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers.ModuleRegistration
{
    /// <summary>
    /// What TorchSharp registers of a custom module class, read from its source: <c>RegisterComponents()</c> registers
    /// the fields that hold a module or a parameter when it runs, <c>register_module</c> and <c>register_parameter</c>
    /// register what they are given, and a container module (<c>ModuleList</c>, <c>Sequential</c>...) registers what is put
    /// in it. Read from the syntax of the class and its source base classes, by field name: a registration is matched
    /// wherever the class mentions it, which errs towards "registered" and keeps correct code free of reports.
    /// </summary>
    internal sealed class ModuleClassRegistration
    {
        private static readonly HashSet<string> RegistrationMethods = new() { "register_module", "add_module", "register_parameter", "register_buffer" };

        // Calls that put modules into something TorchSharp registers: a field holding a list that goes into one of them is
        // a staging area, not a lost layer.
        private static readonly HashSet<string> RegisteringContainers = new() { "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict" };

        private readonly Dictionary<string, ModuleField> fieldsByName;
        private readonly List<TypeDeclarationSyntax> declarations;
        private readonly HashSet<string> registeredNames = new();
        private readonly List<InvocationExpressionSyntax> loopedRegistrations = new();
        private readonly Dictionary<string, List<ExpressionSyntax>> assignedValues = new();
        private readonly Dictionary<string, List<ExpressionSyntax>> addedElements = new();
        private bool registersComponents;

        private ModuleClassRegistration(Dictionary<string, ModuleField> fieldsByName, List<TypeDeclarationSyntax> declarations)
        {
            this.fieldsByName = fieldsByName;
            this.declarations = declarations;
        }

        /// <summary>Whether <c>RegisterComponents()</c> is called anywhere in the class or a source base class.</summary>
        public bool RegistersComponents => registersComponents;

        /// <remarks>
        /// It runs for every module class of the compilation, so it is written with loops (a query's closures, groupings and
        /// iterators cost more than reading the fields) and compiled optimised on its first call (see <see cref="HotPaths"/>).
        /// </remarks>
        /// <returns>Null for a class with nothing to report: one that registers its fields, or has no field that holds layers.</returns>
        [MethodImpl(HotPaths.Optimized)]
        public static ModuleClassRegistration? Of(INamedTypeSymbol type, TorchSymbols torch, CancellationToken cancellationToken)
        {
            // A source type's syntax references are made afresh at every request, so each class is asked once.
            var ownClassAndSourceBases = new List<INamedTypeSymbol>();
            var declarations = new List<TypeDeclarationSyntax>();
            for (var current = type; current is not null && !torch.IsTorchSharp(current); current = current.BaseType)
            {
                var references = current.DeclaringSyntaxReferences;
                if (references.Length == 0)
                {
                    break;
                }

                ownClassAndSourceBases.Add(current);
                foreach (var reference in references)
                {
                    if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration)
                    {
                        declarations.Add(declaration);
                    }
                }
            }

            // Most module classes hold no collection of layers and call RegisterComponents(), so nothing of theirs can be
            // reported: their text and the shapes of their fields' types settle them without asking which fields hold
            // modules (a walk up each field type's base types, about a quarter of what reading a class cost).
            var mentionsRegisterComponents = MentionRegisterComponents(declarations, cancellationToken);
            if (mentionsRegisterComponents && !MayHoldCollection(ownClassAndSourceBases, torch))
            {
                return null;
            }

            // A name a derived class redeclares keeps the derived class's field.
            var fields = new Dictionary<string, ModuleField>();
            var holdsCollection = false;
            foreach (var owner in ownClassAndSourceBases)
            {
                foreach (var member in owner.GetMembers())
                {
                    if (member is IFieldSymbol { IsStatic: false, IsConst: false } field
                        && ModuleField.From(field, torch) is { } moduleField
                        && !fields.ContainsKey(moduleField.Name))
                    {
                        fields.Add(moduleField.Name, moduleField);
                        holdsCollection |= moduleField.Kind == ModuleFieldKind.Collection;
                    }
                }
            }

            if (!holdsCollection && (fields.Count == 0 || mentionsRegisterComponents))
            {
                return null;
            }

            var registration = new ModuleClassRegistration(fields, declarations);
            registration.Read(cancellationToken);
            return registration;
        }

        /// <summary>(a) Fields holding modules or parameters in a plain collection that nothing registers item by item.</summary>
        public IEnumerable<ModuleField> UnregisteredCollections() => fieldsByName.Values.Where(field =>
            field.Kind == ModuleFieldKind.Collection
            && assignedValues.ContainsKey(field.Name)
            && !registeredNames.Contains(field.Name)
            && !IsRegisteredItemByItem(field)
            && !IsViewOfRegisteredFields(field));

        /// <summary>(b) Module and parameter fields that are assigned but never registered: all of them when nothing calls <c>RegisterComponents()</c>.</summary>
        public IEnumerable<ModuleField> UnregisteredFields() => registersComponents
            ? Enumerable.Empty<ModuleField>()
            : fieldsByName.Values.Where(field =>
                field.Kind is ModuleFieldKind.Module or ModuleFieldKind.Parameter
                && assignedValues.ContainsKey(field.Name)
                && !registeredNames.Contains(field.Name));

        /// <summary>Whether an instance field of the class or a source base class could be a collection of layers (see <see cref="ModuleField.MayBeCollection"/>).</summary>
        private static bool MayHoldCollection(List<INamedTypeSymbol> ownClassAndSourceBases, TorchSymbols torch)
        {
            foreach (var owner in ownClassAndSourceBases)
            {
                foreach (var member in owner.GetMembers())
                {
                    if (member is IFieldSymbol { IsStatic: false, IsConst: false } field && ModuleField.MayBeCollection(field, torch))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool MentionRegisterComponents(List<TypeDeclarationSyntax> declarations, CancellationToken cancellationToken)
        {
            foreach (var declaration in declarations)
            {
                if (SourceTexts.Mentions(declaration, "RegisterComponents", cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        private void Read(CancellationToken cancellationToken)
        {
            foreach (var node in declarations.SelectMany(ClassNodes))
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (node)
                {
                    case InvocationExpressionSyntax invocation:
                        ReadCall(invocation);
                        break;
                    case BaseObjectCreationExpressionSyntax creation when RegisteringContainers.Contains(CreatedTypeName(creation) ?? ""):
                        registeredNames.UnionWith(SyntaxNames.In(creation.ArgumentList));
                        registeredNames.UnionWith(SyntaxNames.In(creation.Initializer));
                        break;
                    case AssignmentExpressionSyntax assignment:
                        ReadAssignment(assignment);
                        break;
                    case VariableDeclaratorSyntax { Initializer: { } initializer } declarator when declarator.Parent?.Parent is FieldDeclarationSyntax:
                        Add(assignedValues, declarator.Identifier.ValueText, initializer.Value);
                        break;
                    case PropertyDeclarationSyntax { Initializer: { } initializer } property:
                        Add(assignedValues, property.Identifier.ValueText, initializer.Value);
                        break;
                }
            }
        }

        private void ReadCall(InvocationExpressionSyntax invocation)
        {
            var (receiver, name) = Callee(invocation.Expression);
            var onThisModule = receiver is null or ThisExpressionSyntax or BaseExpressionSyntax;
            if (onThisModule && name == "RegisterComponents")
            {
                registersComponents = true;
            }
            else if (onThisModule && name is not null && RegistrationMethods.Contains(name))
            {
                registeredNames.UnionWith(SyntaxNames.In(invocation.ArgumentList));
                if (invocation.Ancestors().Any(SyntaxNames.IsLoop))
                {
                    loopedRegistrations.Add(invocation);
                }
            }
            else if (name is not null && (RegisteringContainers.Contains(name) || (IsModuleField(receiver) && name is "Add" or "Insert" or "append" or "extend")))
            {
                // nn.Sequential(list), nn.ModuleList(array), or blocks.Add(...) on a field that is itself a module container.
                registeredNames.UnionWith(SyntaxNames.In(invocation.ArgumentList));
            }
            else if (FieldName(receiver) is { } field && name is "Add" or "Insert" or "append" && invocation.ArgumentList.Arguments.Count > 0)
            {
                Add(addedElements, field, invocation.ArgumentList.Arguments.Last().Expression);
            }
        }

        private void ReadAssignment(AssignmentExpressionSyntax assignment)
        {
            if (FieldName(assignment.Left) is { } field)
            {
                Add(assignedValues, field, assignment.Right);
            }
            else if (assignment.Left is ElementAccessExpressionSyntax { Expression: var collection } && FieldName(collection) is { } indexed)
            {
                Add(addedElements, indexed, assignment.Right);
            }
        }

        /// <summary><c>foreach (var block in blocks) register_module(..., block)</c>, or a loop over indices that mentions the field.</summary>
        private bool IsRegisteredItemByItem(ModuleField field) =>
            loopedRegistrations.Any(registration => registration.Ancestors().Where(SyntaxNames.IsLoop).Any(loop => SyntaxNames.In(loop).Contains(field.Name)));

        /// <summary>
        /// A collection of modules the class registers otherwise, kept for iterating or looking them up: its elements are
        /// the class's module fields (<c>new List&lt;Linear&gt; { fc1, fc2 }</c>) or come from registered modules (a loop
        /// over <c>body.named_children()</c>), or it is computed from them (<c>layers.ToDictionary(...)</c> of a registered
        /// container).
        /// </summary>
        private bool IsViewOfRegisteredFields(ModuleField field)
        {
            if (assignedValues[field.Name].Any(value => value is not (BaseObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax or CollectionExpressionSyntax)
                && MentionsRegisteredModules(value)))
            {
                return true;
            }

            var elements = assignedValues[field.Name].SelectMany(CollectionElements)
                .Concat(addedElements.TryGetValue(field.Name, out var added) ? added : Enumerable.Empty<ExpressionSyntax>())
                .ToList();
            return elements.Count > 0 && elements.All(element =>
                (FieldName(element) is { } name && fieldsByName[name].Kind != ModuleFieldKind.Collection)
                || element.Ancestors().OfType<CommonForEachStatementSyntax>().Any(loop => MentionsRegisteredModules(loop.Expression) && SyntaxNames.In(element).Overlaps(SyntaxNames.DeclaredBy(loop))));
        }

        private bool MentionsRegisteredModules(SyntaxNode node) =>
            SyntaxNames.In(node).Any(name => IsRegisteredModule(name) || name is "children" or "named_children" or "modules" or "named_modules");

        /// <summary>A module field, or a collection that something registers, by name.</summary>
        private bool IsRegisteredModule(string name) =>
            fieldsByName.TryGetValue(name, out var field) && (field.Kind == ModuleFieldKind.Module || registeredNames.Contains(name));

        private static IEnumerable<ExpressionSyntax> CollectionElements(ExpressionSyntax value)
        {
            var initializer = value switch
            {
                BaseObjectCreationExpressionSyntax creation => creation.Initializer,
                ArrayCreationExpressionSyntax array => array.Initializer,
                ImplicitArrayCreationExpressionSyntax array => array.Initializer,
                _ => null,
            };
            if (value is CollectionExpressionSyntax collection)
            {
                return collection.Elements.OfType<ExpressionElementSyntax>().Select(element => element.Expression);
            }

            return initializer?.Expressions.Select(element => element switch
            {
                InitializerExpressionSyntax pair => pair.Expressions.Last(),
                AssignmentExpressionSyntax indexed => indexed.Right,
                _ => element,
            }) ?? Enumerable.Empty<ExpressionSyntax>();
        }

        private bool IsModuleField(ExpressionSyntax? receiver) =>
            FieldName(receiver) is { } name && fieldsByName.TryGetValue(name, out var field) && field.Kind == ModuleFieldKind.Module;

        /// <summary>The field a name, <c>this.name</c> or <c>name!</c> refers to, when the class has a module field by that name.</summary>
        private string? FieldName(ExpressionSyntax? expression) => expression switch
        {
            IdentifierNameSyntax identifier when fieldsByName.ContainsKey(identifier.Identifier.ValueText) => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } when fieldsByName.ContainsKey(name.Identifier.ValueText) => name.Identifier.ValueText,
            PostfixUnaryExpressionSyntax { Operand: var operand } => FieldName(operand),
            _ => null,
        };

        /// <summary>The nodes of a class declaration, without those of the types nested in it.</summary>
        private static IEnumerable<SyntaxNode> ClassNodes(TypeDeclarationSyntax declaration) =>
            declaration.DescendantNodes(node => node == declaration || node is not BaseTypeDeclarationSyntax);

        internal static (ExpressionSyntax? Receiver, string? Name) Callee(ExpressionSyntax callee) => callee switch
        {
            MemberAccessExpressionSyntax access => (access.Expression, access.Name.Identifier.ValueText),
            MemberBindingExpressionSyntax binding => (null, binding.Name.Identifier.ValueText),
            SimpleNameSyntax name => (null, name.Identifier.ValueText),
            _ => (null, null),
        };

        private static string? CreatedTypeName(BaseObjectCreationExpressionSyntax creation) => creation switch
        {
            ObjectCreationExpressionSyntax { Type: var type } => RightmostName(type),
            _ => null,
        };

        private static string? RightmostName(TypeSyntax type) => type switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => null,
        };

        private static void Add(Dictionary<string, List<ExpressionSyntax>> values, string field, ExpressionSyntax value)
        {
            if (!values.TryGetValue(field, out var list))
            {
                values[field] = list = new List<ExpressionSyntax>();
            }

            list.Add(value);
        }
    }
}
